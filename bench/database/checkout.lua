-- wrk script for bench/database/run.sh: each thread is one shopper on one connection
-- (run wrk with as many threads as connections). It logs in once, then alternates
-- "put one item in the cart" and "check out with a new Idempotency-Key", so every
-- second request is a checkout: one transaction with an order, its line and a stock
-- decrement. The items' stock is raised first (run.sh), so none sells out.
local shopper = 0
function setup(thread)
  thread:set("shopper", shopper)
  shopper = shopper + 1
end

local cookie, adding, orders = nil, true, 0

function request()
  if not cookie then
    return wrk.format("POST", "/api/login", { ["Content-Type"] = "application/json" },
      '{"user":"bench-' .. shopper .. '"}')
  end
  if adding then
    return wrk.format("POST", "/api/cart/items", { ["Content-Type"] = "application/json", ["Cookie"] = cookie },
      '{"sku":"item-' .. (orders % 100 + 1) .. '","qty":1}')
  end
  orders = orders + 1
  return wrk.format("POST", "/api/checkout", { ["Cookie"] = cookie, ["Idempotency-Key"] = "bench-" .. shopper .. "-" .. orders })
end

function response(status, headers, body)
  if not cookie then
    local set = headers["Set-Cookie"]
    if set then cookie = set:match("^(sid=[^;]*)") end
    return
  end
  adding = not adding
end
