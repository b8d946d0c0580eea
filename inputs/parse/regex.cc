#include "inputs/parse/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace logship {

struct Regex::Shared {
  pcre2_code* code = nullptr;
  std::string pattern;
  std::vector<NamedGroup> names;
  ~Shared() { pcre2_code_free(code); }
};

void Regex::MatchDataDeleter::operator()(void* data) const {
  pcre2_match_data_free(static_cast<pcre2_match_data*>(data));
}

namespace {

std::vector<Regex::NamedGroup> read_names(const pcre2_code* code) {
  uint32_t count = 0;
  uint32_t entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  std::vector<Regex::NamedGroup> names;
  for (uint32_t i = 0; i < count; ++i) {
    const PCRE2_SPTR entry = table + i * entry_size;
    const uint32_t number = (static_cast<uint32_t>(entry[0]) << 8) | entry[1];
    names.push_back({reinterpret_cast<const char*>(entry + 2), number});
  }
  return names;
}

}  // namespace

std::optional<Regex> Regex::compile(std::string_view pattern, std::string& error) {
  int code_error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code_error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code_error, message, sizeof(message));
    error = "regex '" + std::string(pattern) + "' at offset " + std::to_string(error_offset) +
            ": " + reinterpret_cast<const char*>(message);
    return std::nullopt;
  }
  // JIT is an optimisation: where it is unavailable the interpreter matches the same.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  auto shared = std::make_shared<Shared>();
  shared->code = code;
  shared->pattern = std::string(pattern);
  shared->names = read_names(code);
  return Regex(std::move(shared));
}

Regex::Regex(std::shared_ptr<const Shared> shared)
    : shared_(std::move(shared)),
      match_(pcre2_match_data_create_from_pattern(shared_->code, nullptr)) {}

Regex::Regex(const Regex& other) : Regex(other.shared_) {}

Regex& Regex::operator=(const Regex& other) {
  if (this != &other) *this = Regex(other.shared_);
  return *this;
}

Regex::~Regex() = default;

const std::vector<Regex::NamedGroup>& Regex::named_groups() const { return shared_->names; }
const std::string& Regex::pattern() const { return shared_->pattern; }

bool Regex::search(std::string_view text) {
  auto* match = static_cast<pcre2_match_data*>(match_.get());
  const int rc = pcre2_match(shared_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                             0, 0, match, nullptr);
  return rc >= 0;
}

std::optional<std::pair<size_t, size_t>> Regex::group(uint32_t number) const {
  auto* match = static_cast<pcre2_match_data*>(match_.get());
  if (number >= pcre2_get_ovector_count(match)) return std::nullopt;
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
  const PCRE2_SIZE begin = ovector[2 * number];
  const PCRE2_SIZE end = ovector[2 * number + 1];
  if (begin == PCRE2_UNSET || end < begin) return std::nullopt;
  return std::make_pair(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
}

}  // namespace logship
