#pragma once
// The `logship top` screen as lines of text: a title with the memory budget and its rung,
// one row per pipeline (rates read and delivered, the ledger, its output's health), then
// the files by lag (or path, or input) as many as fit, with the count of the rest.
// Rates come from two snapshots and the seconds between them; with one there are none
// ("-"). Counts are printed exact, so scripts can read `top --once`.
// Pure: no terminal, no clock (the caller passes the time). Thread: any.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "agent/metrics_snapshot.h"

namespace logship {

enum class FileSort { kLag, kPath, kInput };

FileSort next_sort(FileSort sort);  // lag -> path -> input -> lag, for the `s` key
std::string_view sort_name(FileSort sort);

struct TopViewInput {
  const MetricsSnapshot* current = nullptr;   // required
  const MetricsSnapshot* previous = nullptr;  // none: no rates yet
  double seconds_between = 0;                 // current's fetch minus previous's
  double now_unix = 0;                        // for the time since an output's last success
  std::string source;                         // the URL, for the title
  std::string status;                         // shown in the title: "paused", a fetch error
  FileSort sort = FileSort::kLag;
  size_t width = 0;   // columns; 0: lines are not cut
  size_t height = 0;  // rows; 0: every file, and no key help (the plain snapshot)
};

std::vector<std::string> render_top(const TopViewInput& view);

// Whether an input is paused: the memory rung pauses every input (2 and up), and an input
// whose pause counter rose between the snapshots paused on its own (queue full).
bool input_paused(const TopViewInput& view, const std::string& input);

}  // namespace logship
