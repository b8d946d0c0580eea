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

// A range of the line or of the scratch text, held in one 64-bit word (begin in the low
// half, then the size, then the scratch flag) so that refs move as single registers and
// stores: as three members the compiler assembled them from mixed-width stores and read
// them back wider, a store-forwarding stall that cost more than the rest of adding a field.
// A ref's text lies within one line, so its size fits in 31 bits.
class TextRef {
 public:
  constexpr TextRef() = default;
  constexpr TextRef(uint32_t begin, uint32_t size, bool in_scratch)
      : bits_(begin | uint64_t{size} << 32 | (in_scratch ? kScratchBit : 0)) {}

  constexpr uint32_t begin() const { return static_cast<uint32_t>(bits_); }
  constexpr uint32_t size() const { return static_cast<uint32_t>(bits_ >> 32) & 0x7fffffffu; }
  constexpr bool in_scratch() const { return (bits_ & kScratchBit) != 0; }

 private:
  static constexpr uint64_t kScratchBit = uint64_t{1} << 63;
  uint64_t bits_ = 0;
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
    names_seen_ = 0;
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

  // Refs are made only by in_line(), copy() and scratch_end(), so they lie within their
  // text: no bounds check.
  std::string_view text(TextRef ref) const {
    const char* base = ref.in_scratch() ? scratch_.data() : line_.data();
    return {base + ref.begin(), ref.size()};
  }

  // Adds a field; a name seen before on this line is replaced (the last value wins, as
  // in most JSON decoders). Inline: a parser calls it for every field.
  void add(TextRef name, TextRef value) {
    const std::string_view name_text = text(name);
    const uint64_t bit = name_bit(name_text);
    if ((names_seen_ & bit) != 0) return replace_or_add(name, name_text, value);
    names_seen_ |= bit;
    fields_.push_back({name, value});
  }
  // The value of the field named `name`, or nullptr.
  const CollectedField* find(std::string_view name) const;
  // Removes the field named `name`, if present; true when one was removed.
  bool erase(std::string_view name);
  // Gives the field named `from` the name `to` (replacing a field already named `to`).
  void rename(std::string_view from, std::string_view to);

  std::span<const CollectedField> fields() const { return fields_; }
  std::string_view scratch_text() const { return scratch_; }

 private:
  // One bit per name hash of the fields added on this line (a 64-bit Bloom filter): a
  // name whose bit is clear is new, so add() skips comparing it with every field before
  // it, which was a quarter of JSON parsing. Bits of erased names may stay set.
  static uint64_t name_bit(std::string_view name) {
    if (name.empty()) return 1;
    // Length and the first and last bytes tell typical keys apart; cheaper than a hash.
    const auto first = static_cast<unsigned char>(name.front());
    const auto last = static_cast<unsigned char>(name.back());
    const uint32_t key = static_cast<uint32_t>(name.size()) ^ (first << 8) ^ (last << 16);
    return uint64_t{1} << ((key * 0x9E3779B1u) >> 26);
  }
  // add() for a name whose bit is already set: replaces the field of that name, if any.
  void replace_or_add(TextRef name, std::string_view name_text, TextRef value);

  std::string_view line_;
  std::string scratch_;
  std::vector<CollectedField> fields_;
  uint64_t names_seen_ = 0;
};

}  // namespace logship
