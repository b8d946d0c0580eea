#include "inputs/parse/field_collector.h"

namespace logship {

TextRef FieldCollector::copy(std::string_view bytes) {
  const size_t start = scratch_.size();
  scratch_.append(bytes);
  return scratch_end(start);
}

void FieldCollector::replace_or_add(TextRef name, std::string_view name_text, TextRef value) {
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
      mark_seen(to);
      return;
    }
  }
}

}  // namespace logship
