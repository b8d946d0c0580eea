#pragma once
// FieldCollector: scratch space a parser fills with the fields of one line. A field's name
// and value are TextRefs: either a range of the line itself (no copy, the common case) or
// a range of the collector's scratch text (decoded escapes, joined pieces). commit_fields
// then moves them into a Batch with one append. Reused across lines: clear() keeps the
// capacity, so steady-state parsing allocates nothing.
// Thread: owned by one file's parser on the input thread. Pure: no I/O, no Batch needed
// to parse (the fuzz targets use it alone).

#include <array>
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
    names_seen_ = {};
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
  void add(TextRef name, TextRef value) { add(name, text(name), value); }
  // The same, for a parser that has the name's text at hand: `name_text` is text(name).
  void add(TextRef name, std::string_view name_text, TextRef value) {
    if (!mark_seen(name_text)) return replace_or_add(name, name_text, value);
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
  // One bit per name hash of the fields added on this line (a 128-bit Bloom filter): a
  // name whose bit is clear is new, so add() skips comparing it with every field before
  // it, which was a quarter of JSON parsing. 128 bits rather than 64: a line of ten keys
  // then shares a bit, and pays for the comparisons, about half as often (~30%, not ~50%).
  // Bits of erased names may stay set. True when the name's bit was clear.
  bool mark_seen(std::string_view name) {
    uint32_t slot = 0;
    if (!name.empty()) {
      // Length and the first and last bytes tell typical keys apart; cheaper than a hash.
      const auto first = static_cast<unsigned char>(name.front());
      const auto last = static_cast<unsigned char>(name.back());
      const uint32_t key = static_cast<uint32_t>(name.size()) ^ (first << 8) ^ (last << 16);
      slot = (key * 0x9E3779B1u) >> 25;
    }
    uint64_t& word = names_seen_[slot >> 6];
    const uint64_t bit = uint64_t{1} << (slot & 63);
    const bool was_clear = (word & bit) == 0;
    word |= bit;
    return was_clear;
  }
  // add() for a name whose bit is already set: replaces the field of that name, if any.
  void replace_or_add(TextRef name, std::string_view name_text, TextRef value);

  std::string_view line_;
  std::string scratch_;
  std::vector<CollectedField> fields_;
  std::array<uint64_t, 2> names_seen_{};
};

}  // namespace logship
