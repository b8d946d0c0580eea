#pragma once
// TableReader: reads one TOML table into plain config structs. Each getter leaves the
// default in place when the key is absent, converts the value once (sizes, durations,
// choices) and records an error naming file:line:column and the full key when the value
// is of the wrong type or invalid. finish() reports every key nobody asked for as
// unknown, with a did-you-mean. String values get `${VAR}` / `${VAR:-default}`
// interpolated from the environment. Errors are collected, never thrown.
// Thread: config loading only.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

namespace logship {

// Errors of one config load, in source order of discovery.
struct ConfigErrors {
  std::string file;
  std::vector<std::string> messages;
  // "file:line:col: key 'k': message" for a node, or "file: key 'k': message" without one.
  void add(const toml::source_region* where, std::string_view key, std::string_view message);
  bool empty() const { return messages.empty(); }
};

class TableReader {
 public:
  // `path` is the dotted key of this table ("agent", "outputs[1]").
  TableReader(const toml::table& table, std::string path, ConfigErrors& errors);

  void read(std::string_view key, std::string& out);
  void read(std::string_view key, bool& out);
  void read(std::string_view key, int64_t& out);
  void read(std::string_view key, std::vector<std::string>& out);
  void read(std::string_view key, std::map<std::string, std::string>& out);
  void read_size(std::string_view key, uint64_t& out);
  void read_size(std::string_view key, std::optional<uint64_t>& out);
  void read_duration(std::string_view key, std::chrono::milliseconds& out);

  template <typename Enum>
  void read_choice(std::string_view key, Enum& out,
                   std::initializer_list<std::pair<std::string_view, Enum>> choices) {
    std::string text;
    if (!read_choice_text(key, text)) return;
    for (const auto& [name, value] : choices) {
      if (name == text) {
        out = value;
        return;
      }
    }
    std::vector<std::string_view> names;
    for (const auto& choice : choices) names.push_back(choice.first);
    fail_choice(key, text, names);
  }

  // A nested table (e.g. `multiline = {...}`); nullopt when absent or not a table.
  std::optional<TableReader> table(std::string_view key);
  // An array of tables (`[[inputs]]`); empty when absent.
  std::vector<TableReader> tables(std::string_view key);

  // Reports an error at this key's value (or the table when the key is absent).
  void fail(std::string_view key, std::string_view message);
  bool has(std::string_view key) const { return table_->contains(key); }
  // The table as TOML text, as written (before interpolation).
  std::string toml_text() const;
  const std::string& path() const { return path_; }

  // Reports every key of this table that no getter asked for.
  void finish();

 private:
  const toml::node* take(std::string_view key);
  std::string full_key(std::string_view key) const;
  bool read_choice_text(std::string_view key, std::string& out);
  void fail_choice(std::string_view key, std::string_view value,
                   const std::vector<std::string_view>& choices);
  std::optional<std::string> interpolate(const toml::node& node, std::string_view key,
                                         std::string_view raw);

  const toml::table* table_;
  std::string path_;
  ConfigErrors* errors_;
  std::set<std::string, std::less<>> seen_;
};

// Closest candidate by edit distance, if close enough to be a likely typo.
std::optional<std::string_view> did_you_mean(std::string_view word,
                                             const std::vector<std::string_view>& candidates);

}  // namespace logship
