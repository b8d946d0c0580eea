#include "agent/config_reader.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "agent/units.h"

namespace logship {
namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

}  // namespace

void ConfigErrors::add(const toml::source_region* where, std::string_view key,
                       std::string_view message) {
  std::ostringstream text;
  text << file;
  if (where != nullptr && where->begin.line != 0) {
    text << ':' << where->begin.line << ':' << where->begin.column;
  }
  text << ": ";
  if (!key.empty()) text << "key '" << key << "': ";
  text << message;
  messages.push_back(text.str());
}

std::optional<std::string_view> did_you_mean(std::string_view word,
                                             const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto candidate : candidates) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

TableReader::TableReader(const toml::table& table, std::string path, ConfigErrors& errors)
    : table_(&table), path_(std::move(path)), errors_(&errors) {}

std::string TableReader::full_key(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const toml::node* TableReader::take(std::string_view key) {
  seen_.emplace(key);
  return table_->get(key);
}

void TableReader::fail(std::string_view key, std::string_view message) {
  const toml::node* node = table_->get(key);
  errors_->add(node != nullptr ? &node->source() : &table_->source(), full_key(key), message);
}

std::optional<std::string> TableReader::interpolate(const toml::node& node, std::string_view key,
                                                    std::string_view raw) {
  std::string out;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t open = raw.find("${", pos);
    if (open == std::string_view::npos) break;
    out.append(raw.substr(pos, open - pos));
    const size_t close = raw.find('}', open);
    if (close == std::string_view::npos) {
      errors_->add(&node.source(), full_key(key), "unterminated '${' in string");
      return std::nullopt;
    }
    std::string_view spec = raw.substr(open + 2, close - open - 2);
    std::optional<std::string_view> fallback;
    if (const size_t dash = spec.find(":-"); dash != std::string_view::npos) {
      fallback = spec.substr(dash + 2);
      spec = spec.substr(0, dash);
    }
    const std::string name(spec);
    if (const char* value = std::getenv(name.c_str()); value != nullptr && *value != '\0') {
      out += value;
    } else if (fallback) {
      out.append(*fallback);
    } else {
      errors_->add(&node.source(), full_key(key),
                   "environment variable " + name + " is not set (use ${" + name +
                       ":-default} for a default)");
      return std::nullopt;
    }
    pos = close + 1;
  }
  out.append(raw.substr(std::min(pos, raw.size())));
  return out;
}

void TableReader::read(std::string_view key, std::string& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  if (!node->is_string()) {
    fail(key, "expected a string, got " + std::string(type_name(*node)));
    return;
  }
  if (auto value = interpolate(*node, key, node->as_string()->get())) out = std::move(*value);
}

void TableReader::read(std::string_view key, bool& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  if (!node->is_boolean()) {
    fail(key, "expected true or false, got " + std::string(type_name(*node)));
    return;
  }
  out = node->as_boolean()->get();
}

void TableReader::read(std::string_view key, int64_t& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  if (!node->is_integer()) {
    fail(key, "expected an integer, got " + std::string(type_name(*node)));
    return;
  }
  out = node->as_integer()->get();
}

void TableReader::read(std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    fail(key, "expected an array of strings, got " + std::string(type_name(*node)));
    return;
  }
  std::vector<std::string> values;
  for (const toml::node& element : *array) {
    if (!element.is_string()) {
      errors_->add(&element.source(), full_key(key),
                   "expected an array of strings, found " + std::string(type_name(element)));
      return;
    }
    auto value = interpolate(element, key, element.as_string()->get());
    if (!value) return;
    values.push_back(std::move(*value));
  }
  out = std::move(values);
}

void TableReader::read(std::string_view key, std::map<std::string, std::string>& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    fail(key, "expected a table of strings, got " + std::string(type_name(*node)));
    return;
  }
  std::map<std::string, std::string> values;
  for (const auto& [name, element] : *table) {
    const std::string element_key = full_key(key) + "." + std::string(name.str());
    if (!element.is_string()) {
      errors_->add(&element.source(), element_key,
                   "expected a string, got " + std::string(type_name(element)));
      return;
    }
    auto value = interpolate(element, element_key, element.as_string()->get());
    if (!value) return;
    values.emplace(std::string(name.str()), std::move(*value));
  }
  out = std::move(values);
}

void TableReader::read_size(std::string_view key, uint64_t& out) {
  std::optional<uint64_t> value;
  read_size(key, value);
  if (value) out = *value;
}

void TableReader::read_size(std::string_view key, std::optional<uint64_t>& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  if (node->is_integer() && node->as_integer()->get() >= 0) {
    out = static_cast<uint64_t>(node->as_integer()->get());
    return;
  }
  std::optional<uint64_t> size;
  if (node->is_string()) size = parse_size(node->as_string()->get());
  if (!size) {
    fail(key, "expected a size such as \"64MiB\", \"256KiB\" or \"1GB\"");
    return;
  }
  out = size;
}

void TableReader::read_duration(std::string_view key, std::chrono::milliseconds& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return;
  std::optional<std::chrono::milliseconds> duration;
  if (node->is_string()) duration = parse_duration(node->as_string()->get());
  if (!duration) {
    fail(key, "expected a duration such as \"250ms\", \"5s\", \"2m\" or \"1h\"");
    return;
  }
  out = *duration;
}

bool TableReader::read_choice_text(std::string_view key, std::string& out) {
  const toml::node* node = take(key);
  if (node == nullptr) return false;
  if (!node->is_string()) {
    fail(key, "expected a string, got " + std::string(type_name(*node)));
    return false;
  }
  out = node->as_string()->get();
  return true;
}

void TableReader::fail_choice(std::string_view key, std::string_view value,
                              const std::vector<std::string_view>& choices) {
  std::string message = "unknown value \"" + std::string(value) + "\"; expected one of";
  for (const auto choice : choices) message.append(" ").append(choice);
  if (const auto hint = did_you_mean(value, choices)) {
    message.append(" (did you mean \"").append(*hint).append("\"?)");
  }
  fail(key, message);
}

std::optional<TableReader> TableReader::table(std::string_view key) {
  const toml::node* node = take(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_table()) {
    fail(key, "expected a table, got " + std::string(type_name(*node)));
    return std::nullopt;
  }
  return TableReader(*node->as_table(), full_key(key), *errors_);
}

std::vector<TableReader> TableReader::tables(std::string_view key) {
  std::vector<TableReader> readers;
  const toml::node* node = take(key);
  if (node == nullptr) return readers;
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    fail(key, "expected an array of tables ([[" + std::string(key) + "]])");
    return readers;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    readers.emplace_back(*array->get(i)->as_table(), full_key(key) + "[" + std::to_string(i) + "]",
                         *errors_);
  }
  return readers;
}

std::string TableReader::toml_text() const {
  std::ostringstream text;
  text << *table_;
  return text.str();
}

void TableReader::finish() {
  std::vector<std::string_view> known(seen_.begin(), seen_.end());
  for (const auto& [name, node] : *table_) {
    if (seen_.contains(name.str())) continue;
    std::string message = "unknown key";
    if (const auto hint = did_you_mean(name.str(), known)) {
      message.append(" (did you mean '").append(*hint).append("'?)");
    }
    errors_->add(&name.source(), full_key(name.str()), message);
  }
}

}  // namespace logship
