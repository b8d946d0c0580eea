#pragma once
// Regex: a PCRE2 pattern compiled once (JIT when the platform has it) and shared; each
// copy has its own match data, so give every owner (a file's parser) its own copy.
// Patterns are compiled with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, so any bytes are safe
// to match. Thread: a copy is used by one thread; the shared code is immutable.
// compile() reports errors through an out-parameter rather than Result<T> because the
// fuzz targets build with clang 14, whose libstdc++ headers lack std::expected.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logship {

class Regex {
 public:
  struct NamedGroup {
    std::string name;
    uint32_t number;
  };

  static std::optional<Regex> compile(std::string_view pattern, std::string& error);

  Regex(const Regex& other);
  Regex& operator=(const Regex& other);
  Regex(Regex&&) noexcept = default;
  Regex& operator=(Regex&&) noexcept = default;
  ~Regex();

  // Finds the first match in `text`; groups are then readable through group().
  bool search(std::string_view text);
  // Begin and size of capture group `number` of the last match; nullopt if unset.
  std::optional<std::pair<size_t, size_t>> group(uint32_t number) const;
  const std::vector<NamedGroup>& named_groups() const;
  const std::string& pattern() const;

 private:
  struct Shared;
  struct MatchDataDeleter {
    void operator()(void* data) const;
  };
  explicit Regex(std::shared_ptr<const Shared> shared);

  // Shared by every copy: compiled code is read-only once built.
  std::shared_ptr<const Shared> shared_;
  std::unique_ptr<void, MatchDataDeleter> match_;
};

}  // namespace logship
