#include "agent/top_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <tuple>

#include "agent/progress.h"

namespace logship {
namespace {

constexpr std::string_view kRungNames[] = {"none", "shrunk reads", "inputs paused", "spooling",
                                           "dropping"};

template <typename... Args>
std::string format(const char* pattern, Args... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, pattern, args...);
  return buffer;
}

// Cuts at `width` columns without splitting a UTF-8 sequence.
std::string fit(std::string line, size_t width) {
  if (width == 0 || line.size() <= width) return line;
  size_t end = width;
  while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
  line.resize(end);
  return line;
}

std::string rate_text(double rate, bool bytes) {
  if (rate < 0) return "-";
  if (bytes) return format_bytes(rate);
  if (rate < 1000) return format("%.0f", rate);
  if (rate < 1e6) return format("%.1fk", rate / 1e3);
  return format("%.1fM", rate / 1e6);
}

// "12s", "3m04s", "2h05m": how long ago. Without a success yet: "never" once an attempt
// failed, "-" while none did (stdout and null make no attempts, so they never have one).
std::string age_text(const OutputSnapshot& output, double now_unix) {
  const double last_unix = output.last_success_unix;
  if (last_unix <= 0) return output.up ? "-" : "never";
  const auto seconds = static_cast<long long>(std::max(0.0, std::floor(now_unix - last_unix)));
  if (seconds < 60) return format("%llds", seconds);
  if (seconds < 3600) return format("%lldm%02llds", seconds / 60, seconds % 60);
  return format("%lldh%02lldm", seconds / 3600, seconds % 3600 / 60);
}

class Rates {
 public:
  explicit Rates(const TopViewInput& view) : view_(view) {}

  // Per second between the snapshots of the value `pick` reads; -1 when unknown.
  template <typename Pick>
  double of(Pick pick) const {
    if (view_.previous == nullptr || view_.seconds_between <= 0) return -1;
    const auto now = pick(*view_.current);
    const auto before = pick(*view_.previous);
    if (!now || !before || *now < *before) return -1;  // new, or the agent restarted
    return static_cast<double>(*now - *before) / view_.seconds_between;
  }

 private:
  const TopViewInput& view_;
};

std::optional<uint64_t> pipeline_value(const MetricsSnapshot& snapshot, const PipelineSnapshot& of,
                                       uint64_t PipelineSnapshot::*field) {
  for (const auto& line : snapshot.pipelines) {
    if (line.input == of.input && line.output == of.output) return line.*field;
  }
  return std::nullopt;
}

template <typename Map, typename Field>
std::optional<uint64_t> keyed_value(const Map& map, const std::string& key, Field field) {
  const auto found = map.find(key);
  if (found == map.end()) return std::nullopt;
  return found->second.*field;
}

std::string title(const TopViewInput& view) {
  const MemorySnapshot& memory = view.current->memory;
  const int rung = std::clamp(memory.rung, 0, 4);
  std::string line = "logship top  " + view.source + "  memory " +
                     format_bytes(static_cast<double>(memory.used_bytes)) + " / " +
                     format_bytes(static_cast<double>(memory.limit_bytes)) + "  rung " +
                     std::to_string(memory.rung) + " (" + std::string(kRungNames[rung]) + ")";
  if (!view.status.empty()) line += "  [" + view.status + "]";
  return line;
}

constexpr const char* kPipelineRow =
    "%-18s %-6s %7s %10s %7s %10s %10s %8s %8s %8s %9s %-4s %7s %7s";

std::string pipeline_header() {
  return format(kPipelineRow, "PIPELINE", "INPUT", "READ L/s", "READ B/s", "SENT L/s", "SENT B/s",
                "DELIVERED", "FILTERED", "REJECTED", "DROPPED", "IN FLIGHT", "OUT", "LAST OK",
                "RETRY/s");
}

std::string pipeline_row(const TopViewInput& view, const PipelineSnapshot& line) {
  const Rates rates(view);
  const auto of_line = [&](uint64_t PipelineSnapshot::*field) {
    return rates.of([&](const MetricsSnapshot& s) { return pipeline_value(s, line, field); });
  };
  const auto of_input = [&](uint64_t InputSnapshot::*field) {
    return rates.of(
        [&](const MetricsSnapshot& s) { return keyed_value(s.inputs, line.input, field); });
  };
  const auto of_output = [&](uint64_t OutputSnapshot::*field) {
    return rates.of(
        [&](const MetricsSnapshot& s) { return keyed_value(s.outputs, line.output, field); });
  };
  const auto output = view.current->outputs.find(line.output);
  const bool known = output != view.current->outputs.end();
  const std::string up = !known ? "-" : output->second.up ? "up" : "DOWN";
  const std::string last_ok = known ? age_text(output->second, view.now_unix) : "-";
  const std::string name = line.input + " -> " + line.output;
  return format(kPipelineRow, name.c_str(), input_paused(view, line.input) ? "PAUSED" : "read",
                rate_text(of_line(&PipelineSnapshot::read), false).c_str(),
                rate_text(of_input(&InputSnapshot::read_bytes), true).c_str(),
                rate_text(of_line(&PipelineSnapshot::delivered), false).c_str(),
                rate_text(of_output(&OutputSnapshot::sent_bytes), true).c_str(),
                std::to_string(line.delivered).c_str(), std::to_string(line.filtered).c_str(),
                std::to_string(line.rejected_total()).c_str(),
                std::to_string(line.dropped_total()).c_str(),
                std::to_string(line.in_flight).c_str(), up.c_str(), last_ok.c_str(),
                rate_text(of_output(&OutputSnapshot::retries), false).c_str());
}

using FileKey = std::tuple<uint64_t, const std::string&, const std::string&>;

std::vector<const FileSnapshot*> sorted_files(const MetricsSnapshot& snapshot, FileSort sort) {
  std::vector<const FileSnapshot*> files;
  for (const auto& file : snapshot.files) files.push_back(&file);
  // Largest lag first: its complement sorts ascending.
  if (sort == FileSort::kLag) {
    std::ranges::sort(files, {}, [](const FileSnapshot* file) {
      return FileKey(~file->lag_bytes, file->input, file->path);
    });
  } else if (sort == FileSort::kPath) {
    std::ranges::sort(files, {},
                      [](const FileSnapshot* file) { return std::tie(file->path, file->input); });
  } else {
    std::ranges::sort(files, {}, [](const FileSnapshot* file) {
      return FileKey(~file->lag_bytes, file->input, file->path);
    });
    std::ranges::stable_sort(
        files, {}, [](const FileSnapshot* file) -> const std::string& { return file->input; });
  }
  return files;
}

// The file rows after the pipelines, within `room` rows (0: every file).
void add_files(const TopViewInput& view, size_t room, std::vector<std::string>& lines) {
  const auto files = sorted_files(*view.current, view.sort);
  lines.push_back(format("%-14s %-16s %s  (sort: %s)", "LAG BYTES", "INPUT", "PATH",
                         std::string(sort_name(view.sort)).c_str()));
  size_t shown = files.size();
  if (room != 0 && files.size() > room) shown = room > 1 ? room - 1 : 0;
  for (size_t i = 0; i < shown; ++i) {
    lines.push_back(format("%-14llu %-16s %s", static_cast<unsigned long long>(files[i]->lag_bytes),
                           files[i]->input.c_str(), files[i]->path.c_str()));
  }
  if (shown < files.size()) lines.push_back(format("... and %zu more files", files.size() - shown));
  if (files.empty()) lines.push_back("(no open files)");
}

}  // namespace

FileSort next_sort(FileSort sort) {
  switch (sort) {
    case FileSort::kLag:
      return FileSort::kPath;
    case FileSort::kPath:
      return FileSort::kInput;
    case FileSort::kInput:
      return FileSort::kLag;
  }
  return FileSort::kLag;
}

std::string_view sort_name(FileSort sort) {
  switch (sort) {
    case FileSort::kLag:
      return "lag";
    case FileSort::kPath:
      return "path";
    case FileSort::kInput:
      return "input";
  }
  return "lag";
}

bool input_paused(const TopViewInput& view, const std::string& input) {
  if (view.current->memory.rung >= 2) return true;
  if (view.previous == nullptr) return false;
  const auto now = keyed_value(view.current->inputs, input, &InputSnapshot::pauses);
  const auto before = keyed_value(view.previous->inputs, input, &InputSnapshot::pauses);
  return now && before && *now > *before;
}

std::vector<std::string> render_top(const TopViewInput& view) {
  std::vector<std::string> lines = {title(view), "", pipeline_header()};
  for (const auto& line : view.current->pipelines) lines.push_back(pipeline_row(view, line));
  if (view.current->pipelines.empty()) lines.push_back("(no pipelines)");
  lines.emplace_back();
  const bool interactive = view.height != 0;
  // Rows left for file lines: the height less what is drawn, the files' header and the keys.
  const size_t used = lines.size() + 1 + (interactive ? 2 : 0);
  const size_t room = !interactive ? 0 : view.height > used ? view.height - used : 1;
  add_files(view, room, lines);
  if (interactive) {
    lines.emplace_back();
    lines.push_back("keys: q quit  s sort (" + std::string(sort_name(view.sort)) +
                    ")  p pause refresh");
  }
  for (auto& line : lines) line = fit(std::move(line), view.width);
  if (interactive && lines.size() > view.height) lines.resize(view.height);
  return lines;
}

}  // namespace logship
