#include "outputs/loki/labels.h"

#include <doctest/doctest.h>

#include "tests/loki/loki_test_support.h"

namespace logship {
namespace {

using loki_testing::make_batch;
using loki_testing::make_source;

TEST_CASE("label names are sanitised to Loki's rules") {
  CHECK(sanitize_label_name("level") == "level");
  CHECK(sanitize_label_name("k8s.pod-name") == "k8s_pod_name");
  CHECK(sanitize_label_name("1st") == "_1st");
  CHECK(sanitize_label_name("__reserved") == "_reserved");
  CHECK(sanitize_label_name("") == "_");
  CHECK(sanitize_label_name("na\xC3\xAFve") == "na__ve");
}

TEST_CASE("templates mix literal text, input labels and parsed fields") {
  auto templates =
      compile_label_templates({{"app", "shop"}, {"job", "{job}-x"}, {"level", "{fields.level}"}});
  REQUIRE(templates);
  auto batch =
      make_batch(make_source({{"job", "api"}}), {{"a", 1, {{"level", "warn"}}}, {"b", 2, {}}});
  auto first = render_labels(*templates, batch, batch.records()[0]);
  CHECK(format_label_set(first) == R"({app="shop", job="api-x", level="warn"})");
  // A missing field renders empty, and Loki drops empty labels, so we leave it out.
  auto second = render_labels(*templates, batch, batch.records()[1]);
  CHECK(format_label_set(second) == R"({app="shop", job="api-x"})");
  CHECK((*templates)[2].scope() == LabelScope::kRecord);
  CHECK((*templates)[1].scope() == LabelScope::kInput);
}

TEST_CASE("{file.path} is the path of the file a record was read from") {
  auto templates = compile_label_templates({{"filename", "{file.path}"}, {"job", "{job}"}});
  REQUIRE(templates);
  CHECK((*templates)[0].scope() == LabelScope::kFile);
  auto batch = make_batch(make_source({{"job", "api"}}, "/var/log/api.log"), {{"a"}});
  CHECK(format_label_set(render_labels(*templates, batch, batch.records()[0])) ==
        R"({filename="/var/log/api.log", job="api"})");
  auto mixed = LabelTemplate::compile("x", "{fields.level}@{file.path}");
  REQUIRE(mixed);
  CHECK(mixed->scope() == LabelScope::kRecord);
}

TEST_CASE("malformed templates and colliding names are config errors") {
  CHECK_FALSE(LabelTemplate::compile("x", "{fields.level"));
  CHECK_FALSE(LabelTemplate::compile("x", "oops}"));
  CHECK_FALSE(LabelTemplate::compile("x", "{fields.}"));
  CHECK_FALSE(LabelTemplate::compile("x", "{a.b}"));
  const auto unknown = LabelTemplate::compile("x", "{file.name}");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("{file.path}") != std::string::npos);
  CHECK_FALSE(compile_label_templates({{"a-b", "1"}, {"a_b", "2"}}));
}

TEST_CASE("without configured labels the input's labels are used, else job=logship") {
  auto with_labels = make_batch(make_source({{"team", "core"}, {"env.name", "prod"}}), {{"x"}});
  CHECK(format_label_set(render_labels({}, with_labels, with_labels.records()[0])) ==
        R"({env_name="prod", team="core"})");
  auto without = make_batch(make_source({}), {{"x"}});
  CHECK(format_label_set(render_labels({}, without, without.records()[0])) == R"({job="logship"})");
}

TEST_CASE("label values are escaped, repaired to UTF-8 and cut to Loki's limit") {
  CHECK(format_label_set({{"a", "say \"hi\"\\\n"}}) == R"({a="say \"hi\"\\\n"})");
  auto templates = compile_label_templates({{"v", "{fields.v}"}});
  REQUIRE(templates);
  auto batch = make_batch(make_source({}), {{"x", 1, {{"v", "bad\xFFutf"}}},
                                            {"y", 1, {{"v", std::string(3000, 'z')}}}});
  CHECK(render_labels(*templates, batch, batch.records()[0])[0].second == "bad\xEF\xBF\xBDutf");
  CHECK(render_labels(*templates, batch, batch.records()[1])[0].second.size() ==
        kMaxLabelValueBytes);
}

TEST_CASE("is_ascii finds a high byte anywhere") {
  CHECK(is_ascii("plain text that is long enough for words"));
  CHECK_FALSE(is_ascii("plain text that is long enough \xC3\xA9"));
  CHECK_FALSE(is_ascii("\xC3\xA9"));
  CHECK(is_ascii(""));
}

}  // namespace
}  // namespace logship
