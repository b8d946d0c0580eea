#pragma once
// A strict parser of the Prometheus text exposition format (0.0.4) for tests: it refuses
// what Prometheus would refuse and what our renderer must never write (comments other
// than HELP/TYPE, a sample before its TYPE, interleaved families, duplicate series,
// trailing commas, bad escapes, histogram buckets that do not add up).
// Thread: the calling test's. Test code.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logship::test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Family {
  std::string type;
  std::string help;
  std::vector<Sample> samples;
};

struct Exposition {
  std::map<std::string, Family> families;
  std::string error;  // empty when the text parsed
  // The value of the one sample with this name and labels, if present.
  std::optional<double> value(std::string_view name,
                              const std::map<std::string, std::string>& labels = {}) const;
};

Exposition parse_prometheus_text(std::string_view text);

}  // namespace logship::test
