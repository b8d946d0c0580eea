#pragma once
// Shared checks of the fuzz targets: every field a parser reports must lie inside the
// line or the collector's scratch text. A violation aborts, which libFuzzer reports.

#include <cstdlib>

#include "inputs/parse/field_collector.h"

namespace logship::fuzz {

inline void check_ref(const FieldCollector& fields, TextRef ref) {
  const size_t limit = ref.in_scratch() ? fields.scratch_text().size() : fields.line().size();
  if (ref.begin() > limit || ref.size() > limit - ref.begin()) std::abort();
}

inline void check_fields(const FieldCollector& fields) {
  for (const CollectedField& field : fields.fields()) {
    check_ref(fields, field.name);
    check_ref(fields, field.value);
  }
}

}  // namespace logship::fuzz
