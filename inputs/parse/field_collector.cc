#include "inputs/parse/field_collector.h"

namespace logship {

TextRef FieldCollector::copy(std::string_view bytes) {
  const size_t start = scratch_.size();
  scratch_.append(bytes);
  return scratch_end(start);
}

uint64_t FieldCollector::name_bit(std::string_view name) {
  if (name.empty()) return 1;
  // Length and the first and last bytes tell typical keys apart; cheaper than a hash.
  const auto first = static_cast<unsigned char>(name.front());
  const auto last = static_cast<unsigned char>(name.back());
  const uint32_t key = static_cast<uint32_t>(name.size()) ^ (first << 8) ^ (last << 16);
  return uint64_t{1} << ((key * 0x9E3779B1u) >> 26);
}

void FieldCollector::add(TextRef name, TextRef value) {
  const std::string_view name_text = text(name);
  const uint64_t bit = name_bit(name_text);
  if ((names_seen_ & bit) == 0) {
    names_seen_ |= bit;
    fields_.push_back({name, value});
    return;
  }
  for (CollectedField& field : fields_) {
    if (field.name.size() == name.size() && text(field.name) == name_text) {
      field.value = value;
      return;
    }
  }
  fields_.push_back({name, value});
}

const CollectedField* FieldCollector::find(std::string_view name) const {
  for (const CollectedField& field : fields_) {
    if (field.name.size() == name.size() && text(field.name) == name) return &field;
  }
  return nullptr;
}

bool FieldCollector::erase(std::string_view name) {
  for (auto it = fields_.begin(); it != fields_.end(); ++it) {
    if (it->name.size() == name.size() && text(it->name) == name) {
      fields_.erase(it);
      return true;
    }
  }
  return false;
}

void FieldCollector::rename(std::string_view from, std::string_view to) {
  if (find(from) == nullptr || from == to) return;
  erase(to);
  for (CollectedField& field : fields_) {
    if (field.name.size() == from.size() && text(field.name) == from) {
      field.name = copy(to);
      names_seen_ |= name_bit(to);
      return;
    }
  }
}

}  // namespace logship
