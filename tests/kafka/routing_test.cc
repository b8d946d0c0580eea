#include "outputs/kafka/routing.h"

#include <doctest/doctest.h>

#include "tests/kafka/test_batches.h"

namespace {

using logship::TopicTemplate;
using logship::testing::make_batch;
using logship::testing::make_source;

std::string render(const std::string& pattern, const logship::Batch& batch, size_t index = 0) {
  auto topic = TopicTemplate::compile(pattern);
  REQUIRE(topic.has_value());
  std::string out;
  topic->render(batch, batch.records()[index], out);
  return out;
}

}  // namespace

TEST_CASE("a topic template takes labels of the input and parsed fields of the record") {
  auto batch = make_batch(make_source("/var/log/a.log", {{"job", "api"}}),
                          {{"x", {{"level", "warn"}}}, {"y", {{"level", "info"}}}});
  CHECK(render("logs", batch) == "logs");
  CHECK(render("logs-{job}", batch) == "logs-api");
  CHECK(render("{job}.{fields.level}", batch, 0) == "api.warn");
  CHECK(render("{job}.{fields.level}", batch, 1) == "api.info");
  CHECK(TopicTemplate::compile("logs").value().is_static());
  CHECK_FALSE(TopicTemplate::compile("logs-{job}").value().uses_fields());
  CHECK(TopicTemplate::compile("logs-{fields.level}").value().uses_fields());
}

TEST_CASE("a missing template value renders as unknown and odd characters become _") {
  auto batch = make_batch(make_source("/a", {{"job", "my app/v2"}}), {{"x", {}}});
  CHECK(render("logs-{team}", batch) == "logs-unknown");
  CHECK(render("logs-{fields.level}", batch) == "logs-unknown");
  CHECK(render("logs-{job}", batch) == "logs-my_app_v2");
}

TEST_CASE("a topic template with characters Kafka refuses or an open brace is an error") {
  CHECK_FALSE(TopicTemplate::compile("logs/app").has_value());
  CHECK_FALSE(TopicTemplate::compile("logs-{job").has_value());
  CHECK_FALSE(TopicTemplate::compile("logs-{}").has_value());
  CHECK_FALSE(TopicTemplate::compile("").has_value());
}

TEST_CASE("the key comes from a field, else a label, else the file path for \"file\"") {
  auto batch = make_batch(make_source("/var/log/a.log", {{"host", "n1"}}),
                          {{"x", {{"trace_id", "abc"}}}, {"y", {}}});
  const auto& first = batch.records()[0];
  const auto& second = batch.records()[1];
  CHECK(logship::record_key(batch, first, "trace_id") == "abc");
  CHECK(logship::record_key(batch, second, "trace_id").empty());
  CHECK(logship::record_key(batch, second, "host") == "n1");
  CHECK(logship::record_key(batch, second, "file") == "/var/log/a.log");
  CHECK(logship::record_key(batch, second, "").empty());
}
