#include "tests/deploy/promql_names.hpp"

#include <set>
#include <stdexcept>

namespace scalelab::deploytest {
namespace {

const std::set<std::string>& aggregations() {
  static const std::set<std::string> names{"sum",    "min",    "max",          "avg",  "group", "stddev",
                                           "stdvar", "count",  "count_values", "topk", "bottomk",
                                           "quantile", "limitk", "limit_ratio"};
  return names;
}

const std::set<std::string>& keywords() {
  static const std::set<std::string> names{"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"};
  return names;
}

const std::set<std::string>& grouping_keywords() {
  static const std::set<std::string> names{"by", "without", "on", "ignoring", "group_left", "group_right"};
  return names;
}

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Scanner {
 public:
  explicit Scanner(const std::string& text) : s_(text) {}

  PromqlNames run() {
    while (true) {
      skip_space();
      if (i_ >= s_.size()) break;
      const char c = s_[i_];
      if (c == '"' || c == '\'' || c == '`') {
        (void)read_string();
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (c == '[') {
        skip_until(']');
      } else if (c == '{') {
        Selector bare;
        bare.matchers = read_matchers();
        out_.selectors.push_back(std::move(bare));
      } else if (c == '$') {
        ++i_;
        if (i_ < s_.size() && s_[i_] == '{') {
          skip_until('}');
        } else {
          while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
        }
      } else if ((c >= '0' && c <= '9') || c == '.') {
        while (i_ < s_.size() && (ident_char(s_[i_]) || s_[i_] == '.')) ++i_;  // 0.99, 1e3, 0x1f, 5m
      } else if (ident_start(c)) {
        identifier();
      } else {
        ++i_;  // operators, parentheses, commas
      }
    }
    return std::move(out_);
  }

 private:
  void skip_space() {
    while (i_ < s_.size() && space(s_[i_])) ++i_;
  }

  char peek() {
    skip_space();
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  std::string read_identifier() {
    const std::size_t start = i_;
    while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  std::string read_string() {
    const char quote = s_[i_++];
    std::string value;
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] == '\\' && quote != '`' && i_ + 1 < s_.size()) ++i_;
      value += s_[i_++];
    }
    if (i_ >= s_.size()) throw std::invalid_argument("unterminated string in: " + s_);
    ++i_;
    return value;
  }

  void skip_until(char close) {
    const std::size_t open_at = i_;
    while (i_ < s_.size() && s_[i_] != close) ++i_;
    if (i_ >= s_.size()) throw std::invalid_argument("unclosed '" + std::string(1, s_[open_at]) + "' in: " + s_);
    ++i_;
  }

  // { label op "value", ... }
  std::vector<Matcher> read_matchers() {
    ++i_;  // {
    std::vector<Matcher> matchers;
    while (true) {
      const char c = peek();
      if (c == '}') {
        ++i_;
        return matchers;
      }
      if (c == ',') {
        ++i_;
        continue;
      }
      if (!ident_start(c)) throw std::invalid_argument("bad label matcher in: " + s_);
      Matcher m;
      m.label = read_identifier();
      skip_space();
      while (i_ < s_.size() && (s_[i_] == '=' || s_[i_] == '!' || s_[i_] == '~')) m.op += s_[i_++];
      if (m.op != "=" && m.op != "!=" && m.op != "=~" && m.op != "!~")
        throw std::invalid_argument("bad matcher operator '" + m.op + "' in: " + s_);
      const char q = peek();
      if (q != '"' && q != '\'' && q != '`') throw std::invalid_argument("matcher value is not a string in: " + s_);
      m.value = read_string();
      matchers.push_back(std::move(m));
    }
  }

  void read_label_list() {
    ++i_;  // (
    while (true) {
      const char c = peek();
      if (c == ')') {
        ++i_;
        return;
      }
      if (c == ',') {
        ++i_;
        continue;
      }
      if (!ident_start(c)) throw std::invalid_argument("bad label list in: " + s_);
      out_.grouping_labels.push_back(read_identifier());
    }
  }

  void identifier() {
    const std::string word = read_identifier();
    if (grouping_keywords().count(word)) {
      if (word != "by" && word != "without") out_.vector_matching = true;
      if (peek() == '(') read_label_list();  // group_left may come without a list
      return;
    }
    if (keywords().count(word) || aggregations().count(word)) return;
    if (peek() == '(') return;  // a function call
    Selector selector{word, {}};
    if (peek() == '{') selector.matchers = read_matchers();
    out_.selectors.push_back(std::move(selector));
  }

  const std::string& s_;
  std::size_t i_ = 0;
  PromqlNames out_;
};

}  // namespace

PromqlNames promql_names(const std::string& expr) { return Scanner(expr).run(); }

}  // namespace scalelab::deploytest
