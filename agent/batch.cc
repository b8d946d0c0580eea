#include "agent/batch.h"

#include <algorithm>
#include <cstring>

namespace logship {

ByteBuffer::ByteBuffer(size_t capacity)
    : data_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

Slice ByteBuffer::append(std::string_view bytes) {
  if (size_ + bytes.size() > capacity_) {
    const size_t grown = std::max(size_ + bytes.size(), capacity_ * 2);
    auto larger = std::make_unique_for_overwrite<char[]>(grown);
    if (size_ > 0) std::memcpy(larger.get(), data_.get(), size_);
    data_ = std::move(larger);
    capacity_ = grown;
  }
  if (!bytes.empty()) std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
  const Slice slice{static_cast<uint32_t>(size_), static_cast<uint32_t>(bytes.size())};
  size_ += bytes.size();
  return slice;
}

}  // namespace logship
