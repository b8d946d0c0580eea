#include "agent/ledger.h"

namespace logship {
namespace {

uint64_t sum(const std::map<std::string, uint64_t, std::less<>>& by_reason) {
  uint64_t total = 0;
  for (const auto& [reason, lines] : by_reason) total += lines;
  return total;
}

void add(std::map<std::string, uint64_t, std::less<>>& by_reason, std::string_view reason,
         uint64_t lines) {
  const auto it = by_reason.find(reason);
  if (it != by_reason.end()) {
    it->second += lines;
  } else {
    by_reason.emplace(std::string(reason), lines);
  }
}

}  // namespace

uint64_t LedgerSnapshot::rejected_total() const { return sum(rejected); }
uint64_t LedgerSnapshot::dropped_total() const { return sum(dropped); }

LedgerSnapshot& LedgerSnapshot::operator+=(const LedgerSnapshot& more) {
  read += more.read;
  delivered += more.delivered;
  filtered += more.filtered;
  for (const auto& [reason, lines] : more.rejected) add(rejected, reason, lines);
  for (const auto& [reason, lines] : more.dropped) add(dropped, reason, lines);
  return *this;
}

void Ledger::read(uint64_t in_batch, uint64_t filtered) {
  std::lock_guard lock(mutex_);
  counts_.read += in_batch + filtered;
  counts_.filtered += filtered;
}

void Ledger::delivered(uint64_t lines) {
  std::lock_guard lock(mutex_);
  counts_.delivered += lines;
}

void Ledger::rejected(std::string_view reason, uint64_t lines) {
  std::lock_guard lock(mutex_);
  add(counts_.rejected, reason, lines);
}

void Ledger::dropped(std::string_view reason, uint64_t lines, bool unread) {
  std::lock_guard lock(mutex_);
  if (unread) counts_.read += lines;
  add(counts_.dropped, reason, lines);
}

LedgerSnapshot Ledger::snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace logship
