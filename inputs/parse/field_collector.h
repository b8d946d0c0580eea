#pragma once
// FieldCollector: scratch space a parser fills with the fields of one line. A field's name
// and value are TextRefs: either a range of the line itself (no copy, the common case) or
// a range of the collector's scratch text (decoded escapes, joined pieces). commit_fields
// then moves them into a Batch with one append. Reused across lines: clear() keeps the
// capacity, so steady-state parsing allocates nothing.
// Thread: owned by one file's parser on the input thread. Pure: no I/O, no Batch needed
// to parse (the fuzz targets use it alone).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace logship {

struct TextRef {
  uint32_t begin = 0;
  uint32_t size = 0;
  bool in_scratch = false;
};

struct CollectedField {
  TextRef name;
  TextRef value;
};

class FieldCollector {
 public:
  // Starts a new line; refs made with in_line() are relative to `line.data()`.
  void reset(std::string_view line) {
    line_ = line;
    scratch_.clear();
    fields_.clear();
  }

  std::string_view line() const { return line_; }
  TextRef in_line(size_t begin, size_t size) const {
    return {static_cast<uint32_t>(begin), static_cast<uint32_t>(size), false};
  }
  // Copies `bytes` into the scratch text.
  TextRef copy(std::string_view bytes);
  // For decoders that write piecewise: call scratch_begin(), append to scratch(), then
  // scratch_end(start) to get the ref.
  size_t scratch_begin() const { return scratch_.size(); }
  std::string& scratch() { return scratch_; }
  TextRef scratch_end(size_t start) const {
    return {static_cast<uint32_t>(start), static_cast<uint32_t>(scratch_.size() - start), true};
  }

  std::string_view text(TextRef ref) const {
    const std::string_view base = ref.in_scratch ? std::string_view(scratch_) : line_;
    return base.substr(ref.begin, ref.size);
  }

  // Adds a field; a name seen before on this line is replaced (the last value wins, as
  // in most JSON decoders).
  void add(TextRef name, TextRef value);
  // The value of the field named `name`, or nullptr.
  const CollectedField* find(std::string_view name) const;
  // Removes the field named `name`, if present; true when one was removed.
  bool erase(std::string_view name);
  // Gives the field named `from` the name `to` (replacing a field already named `to`).
  void rename(std::string_view from, std::string_view to);

  std::span<const CollectedField> fields() const { return fields_; }
  std::string_view scratch_text() const { return scratch_; }

 private:
  std::string_view line_;
  std::string scratch_;
  std::vector<CollectedField> fields_;
};

}  // namespace logship
