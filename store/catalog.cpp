// The catalog's item, as JSON; the stores are in catalog_redis.cpp and catalog_postgres.cpp.
#include "store/catalog.hpp"

namespace scalelab::store {

nlohmann::json to_json(const Item& item) {
  return {{"id", item.id}, {"name", item.name}, {"price", item.price}, {"stock", item.stock},
          {"version", item.version}};
}

Item item_from_json(const nlohmann::json& j) {
  return Item{j.at("id").get<std::int64_t>(), j.at("name").get<std::string>(), j.at("price").get<double>(),
              j.at("stock").get<std::int64_t>(), j.at("version").get<std::int64_t>()};
}

}  // namespace scalelab::store
