#pragma once
// Routing of records to Kafka: the topic template and the message key. Pure.
//
// TopicTemplate compiles "logs-{job}-{fields.level}": literal text, "{NAME}" (a label of
// the record's input) and "{fields.NAME}" (a parsed field of the record). A missing value
// renders as "unknown"; characters Kafka does not allow in topic names ([a-zA-Z0-9._-])
// become '_' in substituted values, and are an error in the literal text.
// Thread: compiled once at start; render() is const and safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "agent/batch.h"
#include "agent/result.h"

namespace logship {

class TopicTemplate {
 public:
  static Result<TopicTemplate> compile(std::string_view text);

  // True when the topic does not depend on the record or its input.
  bool is_static() const { return !uses_labels_ && !uses_fields_; }
  // True when records of one batch may go to different topics.
  bool uses_fields() const { return uses_fields_; }
  // Replaces `out` with the topic for `record` of `batch`.
  void render(const Batch& batch, const Record& record, std::string& out) const;

 private:
  enum class PartKind { kLiteral, kLabel, kField };
  struct Part {
    PartKind kind;
    std::string text;  // the literal, or the label/field name
  };

  std::vector<Part> parts_;
  bool uses_labels_ = false;
  bool uses_fields_ = false;
};

// The message key for `record`: the parsed field named `key_field`, else the input label
// of that name, else (for "file") the source path. Empty when `key_field` is empty or
// nothing matches. Borrowed from the batch.
std::string_view record_key(const Batch& batch, const Record& record, std::string_view key_field);

}  // namespace logship
