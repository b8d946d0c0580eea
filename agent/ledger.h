#pragma once
// Ledger: the exact account of one pipeline's lines (DESIGN.md, "The ledger"). Every line
// read ends in one outcome: delivered, filtered (dropped on purpose by a rule), rejected
// with the destination's reason, or dropped with the agent's reason; until then it is in
// flight. Lines are counted as read from the source: a multi-line record of N lines counts
// N, a line split into pieces counts once (Record::lines).
// "Read" is counted when lines leave the parser (in a batch, or filtered), so lines a
// parser still holds, or discards when its file is spooled, are counted once, when they
// are read for good. In flight is read minus settled, taken under the same lock, so every
// snapshot satisfies read == delivered + filtered + rejected + dropped + in flight.
// Owned (shared) by a pipeline's input and its batches' ack handles; thread-safe: the
// input thread counts reads, outputs settle from their own threads, snapshot() is the
// metrics scrape.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace logship {

// Why lines were given up; the `reason` label of logship_lines_total.
namespace drop_reason {
inline constexpr std::string_view kSpoolOverflow = "spool_overflow";
inline constexpr std::string_view kSpoolUnreadable = "spool_unreadable";
}  // namespace drop_reason

struct LedgerSnapshot {
  uint64_t read = 0;
  uint64_t delivered = 0;
  uint64_t filtered = 0;
  std::map<std::string, uint64_t, std::less<>> rejected;  // by reason
  std::map<std::string, uint64_t, std::less<>> dropped;   // by reason

  uint64_t rejected_total() const;
  uint64_t dropped_total() const;
  uint64_t in_flight() const {
    return read - delivered - filtered - rejected_total() - dropped_total();
  }
  LedgerSnapshot& operator+=(const LedgerSnapshot& more);
};

class Ledger {
 public:
  // Lines that left the parser: `in_batch` handed to the output, `filtered` by a rule.
  void read(uint64_t in_batch, uint64_t filtered);
  void delivered(uint64_t lines);
  void rejected(std::string_view reason, uint64_t lines);
  // Lines given up by the agent itself. `unread`: they never were read into a batch (a
  // spool segment deleted before its replay), so they are counted read here, at once.
  void dropped(std::string_view reason, uint64_t lines, bool unread);

  LedgerSnapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  LedgerSnapshot counts_;
};

}  // namespace logship
