#include "outputs/loki/response_classifier.h"

#include <charconv>
#include <ctime>
#include <string>

namespace logship {
namespace {

constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::minutes(10);

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  std::chrono::milliseconds delay;
  uint64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds > static_cast<uint64_t>(kMaxRetryAfter.count() / 1000)) return kMaxRetryAfter;
    delay = std::chrono::seconds(seconds);
  } else {
    std::tm parts{};
    const std::string text(value);
    const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
    if (rest == nullptr || *rest != '\0') return std::nullopt;
    const auto when = std::chrono::system_clock::from_time_t(timegm(&parts));
    delay = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
    if (delay < std::chrono::milliseconds(0)) delay = std::chrono::milliseconds(0);
  }
  return std::min(delay, kMaxRetryAfter);
}

PushOutcome classify_push_response(std::optional<int> status,
                                   std::optional<std::chrono::milliseconds> retry_after) {
  if (!status) return {PushVerdict::kRetryable, std::nullopt};
  const int code = *status;
  if (code == 260) return {PushVerdict::kRetryable, retry_after};
  if (code >= 200 && code < 300) return {PushVerdict::kDelivered, std::nullopt};
  if (code == 400 || code == 413) return {PushVerdict::kRefused, std::nullopt};
  if (code == 408 || code == 429 || code >= 500) return {PushVerdict::kRetryable, retry_after};
  // 1xx and 3xx too: we follow no redirects, and dropping data because of a proxy's
  // answer would be worse than waiting.
  return {PushVerdict::kRetryable, retry_after, true};
}

namespace {

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

}  // namespace

std::string_view rejection_reason(int status, std::string_view message) {
  // Loki's messages (pkg/validation): "... has timestamp too old: ...", "... has timestamp
  // too new: ...", "Max entry size '...' bytes exceeded ...", "... has label value too
  // long ...", "error parsing labels ...", "Maximum active stream limit exceeded ...",
  // "... reason: 'entry out of order' ..." or "entry too far behind".
  if (status == 413) return "line_too_long";
  if (contains(message, "too old")) return "too_old";
  if (contains(message, "too new") || contains(message, "in the future")) return "too_new";
  if (contains(message, "out of order") || contains(message, "too far behind")) {
    return "out_of_order";
  }
  if (contains(message, "entry size") || contains(message, "line too long") ||
      contains(message, "line_too_long")) {
    return "line_too_long";
  }
  if (contains(message, "stream limit")) return "stream_limit";
  if (contains(message, "label")) return "invalid_labels";
  return "other";
}

}  // namespace logship
