#pragma once
// Writing the effective config back as TOML (`logship check`). Output sections add their
// own `format_settings` overload beside their config struct, using these writers.
// Secrets are masked: any key whose name says password, secret, token or key material.

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace logship {

bool is_secret_key(std::string_view key);

void write_toml(std::ostream& out, std::string_view key, std::string_view value);
// Without this, a string literal would pick the bool overload.
inline void write_toml(std::ostream& out, std::string_view key, const char* value) {
  write_toml(out, key, std::string_view(value));
}
void write_toml(std::ostream& out, std::string_view key, bool value);
void write_toml(std::ostream& out, std::string_view key, int64_t value);
void write_toml(std::ostream& out, std::string_view key, const std::vector<std::string>& values);
void write_toml(std::ostream& out, std::string_view key,
                const std::map<std::string, std::string>& values);
void write_toml_size(std::ostream& out, std::string_view key, uint64_t bytes);
void write_toml_duration(std::ostream& out, std::string_view key,
                         std::chrono::milliseconds duration);

// A TOML basic string with escapes.
std::string toml_quote(std::string_view text);

}  // namespace logship
