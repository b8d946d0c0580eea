#pragma once
// Helpers for the parse tests: read collected fields as plain strings.

#include <map>
#include <string>

#include "inputs/parse/field_collector.h"

namespace logship::testing {

inline std::map<std::string, std::string> field_map(const FieldCollector& fields) {
  std::map<std::string, std::string> out;
  for (const CollectedField& f : fields.fields()) {
    out[std::string(fields.text(f.name))] = std::string(fields.text(f.value));
  }
  return out;
}

}  // namespace logship::testing
