#include "tests/unit/agent/prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>

namespace logship::test {
namespace {

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

// Reads a metric (colon=true) or label name at `pos`.
std::optional<std::string> read_name(std::string_view line, size_t& pos, bool colon) {
  const size_t start = pos;
  while (pos < line.size() && name_char(line[pos], pos == start, colon)) ++pos;
  if (pos == start) return std::nullopt;
  return std::string(line.substr(start, pos - start));
}

std::optional<double> read_value(std::string_view text) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return NAN;
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

// `{a="x",b="y"}` at `pos` (which is at '{').
bool read_labels(std::string_view line, size_t& pos, Sample& out) {
  ++pos;
  while (pos < line.size() && line[pos] != '}') {
    auto name = read_name(line, pos, false);
    if (!name || name->starts_with("__") || pos + 1 >= line.size() || line[pos] != '=' ||
        line[pos + 1] != '"') {
      return false;
    }
    pos += 2;
    std::string value;
    while (pos < line.size() && line[pos] != '"') {
      if (line[pos] == '\\') {
        if (++pos == line.size()) return false;
        const char e = line[pos];
        if (e != '\\' && e != '"' && e != 'n') return false;
        value += e == 'n' ? '\n' : e;
      } else {
        value += line[pos];
      }
      ++pos;
    }
    if (pos == line.size() || !out.labels.emplace(*name, value).second) return false;
    ++pos;  // closing quote
    if (pos < line.size() && line[pos] == ',') {
      if (++pos < line.size() && line[pos] == '}') return false;  // no trailing comma
    } else if (pos >= line.size() || line[pos] != '}') {
      return false;
    }
  }
  if (pos >= line.size()) return false;
  ++pos;
  return true;
}

std::optional<Sample> parse_sample(std::string_view line) {
  Sample sample;
  size_t pos = 0;
  auto name = read_name(line, pos, true);
  if (!name) return std::nullopt;
  sample.name = *name;
  if (pos < line.size() && line[pos] == '{' && !read_labels(line, pos, sample)) {
    return std::nullopt;
  }
  if (pos >= line.size() || line[pos] != ' ') return std::nullopt;
  std::string_view rest = line.substr(pos + 1);
  rest = rest.substr(0, rest.find(' '));  // an optional timestamp may follow
  auto value = read_value(rest);
  if (!value) return std::nullopt;
  sample.value = *value;
  return sample;
}

// The family a sample belongs to: histograms own their _bucket/_sum/_count samples.
std::string family_of(const std::string& sample, const std::map<std::string, Family>& families) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.ends_with(suffix)) {
      const std::string base = sample.substr(0, sample.size() - suffix.size());
      auto it = families.find(base);
      if (it != families.end() && it->second.type == "histogram") return base;
    }
  }
  return sample;
}

using Labels = std::map<std::string, std::string>;

struct HistogramSeries {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count) as written
  std::optional<double> sum;
  std::optional<double> count;
};

std::string check_histogram(const std::string& name, const Family& family) {
  std::map<Labels, HistogramSeries> series;
  for (const Sample& s : family.samples) {
    Labels key = s.labels;
    const auto le = key.find("le");
    if (s.name == name + "_bucket") {
      if (le == key.end()) return name + ": bucket without le";
      auto bound = read_value(le->second);
      if (!bound || std::isnan(*bound)) return name + ": bad le " + le->second;
      key.erase(le);
      series[key].buckets.emplace_back(*bound, s.value);
    } else if (le != key.end()) {
      return s.name + ": le on a non-bucket sample";
    } else {
      (s.name.ends_with("_sum") ? series[key].sum : series[key].count) = s.value;
    }
  }
  for (const auto& [labels, h] : series) {
    if (h.buckets.empty() || !h.sum || !h.count) return name + ": incomplete series";
    for (size_t i = 1; i < h.buckets.size(); ++i) {
      if (h.buckets[i].first <= h.buckets[i - 1].first) return name + ": le not increasing";
      if (h.buckets[i].second < h.buckets[i - 1].second) return name + ": buckets decrease";
    }
    if (!std::isinf(h.buckets.back().first)) return name + ": no +Inf bucket";
    if (h.buckets.back().second != *h.count) return name + ": +Inf bucket != _count";
  }
  return {};
}

// The meta line `# HELP name text` / `# TYPE name type`; returns an error or "".
std::string parse_meta(std::string_view line, std::map<std::string, Family>& families,
                       std::string& name_out) {
  const bool help = line.starts_with("# HELP ");
  if (!help && !line.starts_with("# TYPE ")) return "a comment other than HELP or TYPE";
  size_t pos = 7;
  auto name = read_name(line, pos, true);
  if (!name || pos >= line.size() || line[pos] != ' ') return "bad metric name";
  name_out = *name;
  const std::string_view rest = line.substr(pos + 1);
  Family& family = families[*name];
  if (help) {
    if (!family.help.empty()) return "HELP twice for " + *name;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '\\' &&
          (i + 1 == rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n'))) {
        return "bad escape in HELP";
      }
      if (rest[i] == '\\') ++i;
    }
    family.help = std::string(rest);
    if (family.help.empty()) return "empty HELP";
    return {};
  }
  static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                    "untyped"};
  if (!family.type.empty()) return "TYPE twice for " + *name;
  if (!family.samples.empty()) return "TYPE after samples of " + *name;
  if (!kTypes.contains(rest)) return "unknown type " + std::string(rest);
  family.type = std::string(rest);
  return {};
}

// Checks one sample against its family; returns an error or "".
std::string check_sample(const Sample& s, const std::string& family_name, const Family& family) {
  if (family.type.empty()) return "sample " + s.name + " before its TYPE";
  if (family.type == "histogram") {
    if (s.name == family_name) return "bare sample of histogram " + s.name;
  } else if (s.name != family_name) {
    return "sample " + s.name + " outside its family";
  }
  if (family.type == "counter" && (std::isnan(s.value) || s.value < 0)) {
    return "counter " + s.name + " is negative or NaN";
  }
  return {};
}

}  // namespace

Exposition parse_prometheus_text(std::string_view text) {
  Exposition out;
  std::set<std::string> finished;  // families whose block is over
  std::string current;
  std::set<std::pair<std::string, Labels>> seen;
  size_t line_no = 0;
  auto fail = [&](const std::string& why) {
    out.error = "line " + std::to_string(line_no) + ": " + why;
    return out;
  };
  // Moves to `name`'s block; a family may not come back after another one started.
  auto enter = [&](const std::string& name) {
    if (name == current) return true;
    if (finished.contains(name)) return false;
    if (!current.empty()) finished.insert(current);
    current = name;
    return true;
  };
  if (!text.empty() && !text.ends_with('\n')) return fail("no final newline");
  while (!text.empty()) {
    ++line_no;
    const std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(line.size() + 1);
    if (line.empty()) return fail("empty line");
    if (line.starts_with('#')) {
      std::string name;
      if (auto error = parse_meta(line, out.families, name); !error.empty()) return fail(error);
      if (!enter(name)) return fail("family " + name + " interleaved");
      continue;
    }
    auto sample = parse_sample(line);
    if (!sample) return fail("malformed sample: " + std::string(line));
    const std::string family_name = family_of(sample->name, out.families);
    auto it = out.families.find(family_name);
    if (it == out.families.end()) return fail("sample " + sample->name + " before its TYPE");
    if (auto error = check_sample(*sample, family_name, it->second); !error.empty()) {
      return fail(error);
    }
    if (!enter(family_name)) return fail("family " + family_name + " interleaved");
    if (!seen.emplace(sample->name, sample->labels).second) {
      return fail("duplicate series " + sample->name);
    }
    it->second.samples.push_back(std::move(*sample));
  }
  for (const auto& [name, family] : out.families) {
    if (family.type.empty()) return fail("HELP without TYPE for " + name);
    if (family.type == "histogram") {
      if (auto error = check_histogram(name, family); !error.empty()) return fail(error);
    }
  }
  return out;
}

std::optional<double> Exposition::value(std::string_view name, const Labels& labels) const {
  for (const auto& [family_name, family] : families) {
    for (const Sample& s : family.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

}  // namespace logship::test
