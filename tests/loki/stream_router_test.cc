#include "outputs/loki/stream_router.h"

#include <doctest/doctest.h>

#include "tests/loki/loki_test_support.h"

namespace logship {
namespace {

using loki_testing::make_batch;
using loki_testing::make_source;

TEST_CASE("timestamps within a stream strictly increase, whatever the records say") {
  Stream stream;
  CHECK(stream.order_timestamp(100) == 100);
  CHECK(stream.order_timestamp(90) == 101);   // older than the last: nudged after it
  CHECK(stream.order_timestamp(101) == 102);  // equal: Loki would drop a same-line repeat
  CHECK(stream.order_timestamp(500) == 500);
}

TEST_CASE("one stream per label set, pinned round-robin to lanes") {
  auto templates = compile_label_templates({{"level", "{fields.level}"}, {"job", "{job}"}});
  REQUIRE(templates);
  StreamRouter router(std::move(*templates), 100, 2);
  auto batch = make_batch(make_source({{"job", "api"}}), {{"a", 1, {{"level", "info"}}},
                                                          {"b", 2, {{"level", "warn"}}},
                                                          {"c", 3, {{"level", "info"}}}});
  router.start_batch(batch);
  Stream& info = router.route(batch, batch.records()[0]);
  Stream& warn = router.route(batch, batch.records()[1]);
  CHECK(&router.route(batch, batch.records()[2]) == &info);
  CHECK(info.labels.text == R"({job="api", level="info"})");
  CHECK(warn.labels.json == R"({"job":"api","level":"warn"})");
  CHECK(info.lane != warn.lane);
  CHECK(router.stream_count() == 2);
}

TEST_CASE("source-only labels resolve once per batch; sources with equal labels share") {
  auto templates = compile_label_templates({{"job", "{job}"}});
  REQUIRE(templates);
  StreamRouter router(std::move(*templates), 100, 4);
  auto a = make_batch(make_source({{"job", "x"}}, "/a.log"), {{"1"}, {"2"}});
  auto b = make_batch(make_source({{"job", "x"}}, "/b.log"), {{"3"}});
  auto c = make_batch(make_source({{"job", "y"}}, "/c.log"), {{"4"}});
  router.start_batch(a);
  Stream* first = &router.route(a, a.records()[0]);
  CHECK(&router.route(a, a.records()[1]) == first);
  router.start_batch(b);
  CHECK(&router.route(b, b.records()[0]) == first);
  router.start_batch(c);
  CHECK(&router.route(c, c.records()[0]) != first);
}

TEST_CASE("a field's value opens one stream per source, found again in later batches") {
  auto templates = compile_label_templates({{"level", "{fields.level}"}, {"job", "{job}"}});
  REQUIRE(templates);
  StreamRouter router(std::move(*templates), 100, 2);
  auto api = make_batch(make_source({{"job", "api"}}, "/api.log"), {{"a", 1, {{"level", "info"}}}});
  auto web = make_batch(make_source({{"job", "web"}}, "/web.log"), {{"b", 1, {{"level", "info"}}}});
  auto api_again =
      make_batch(make_source({{"job", "api"}}, "/api.log"), {{"c", 2, {{"level", "info"}}}});
  router.start_batch(api);
  Stream& api_info = router.route(api, api.records()[0]);
  router.start_batch(web);
  Stream& web_info = router.route(web, web.records()[0]);
  router.start_batch(api_again);
  CHECK(&router.route(api_again, api_again.records()[0]) == &api_info);
  CHECK(&web_info != &api_info);
  CHECK(web_info.labels.text == R"({job="web", level="info"})");
  CHECK(router.stream_count() == 2);
}

TEST_CASE("{file.path} opens one stream per file, resolved once per batch") {
  auto templates = compile_label_templates({{"job", "{job}"}, {"filename", "{file.path}"}});
  REQUIRE(templates);
  StreamRouter router(std::move(*templates), 3, 4);
  auto a = make_batch(make_source({{"job", "x"}}, "/a.log"), {{"1"}, {"2"}});
  auto b = make_batch(make_source({{"job", "x"}}, "/b.log"), {{"3"}});
  auto a_again = make_batch(make_source({{"job", "x"}}, "/a.log"), {{"4"}});
  router.start_batch(a);
  Stream& a_stream = router.route(a, a.records()[0]);
  CHECK(&router.route(a, a.records()[1]) == &a_stream);
  CHECK(a_stream.labels.text == R"({filename="/a.log", job="x"})");
  router.start_batch(b);
  Stream& b_stream = router.route(b, b.records()[0]);
  CHECK(b_stream.labels.text == R"({filename="/b.log", job="x"})");
  CHECK(b_stream.lane != a_stream.lane);
  router.start_batch(a_again);
  CHECK(&router.route(a_again, a_again.records()[0]) == &a_stream);
  CHECK(router.stream_count() == 2);

  // Three streams are the limit: the fourth file's records lose the file label, and each
  // is counted.
  auto c = make_batch(make_source({{"job", "x"}}, "/c.log"), {{"5"}});
  auto d = make_batch(make_source({{"job", "x"}}, "/d.log"), {{"6"}, {"7"}});
  router.start_batch(c);
  CHECK(router.route(c, c.records()[0]).labels.text == R"({filename="/c.log", job="x"})");
  router.start_batch(d);
  CHECK(router.route(d, d.records()[0]).labels.text == R"({job="x"})");
  CHECK(router.records_over_stream_limit() == 2);
}

TEST_CASE("over max_streams, records lose field labels and are counted") {
  auto templates = compile_label_templates({{"job", "{job}"}, {"id", "{fields.id}"}});
  REQUIRE(templates);
  StreamRouter router(std::move(*templates), 2, 1);
  auto batch = make_batch(make_source({{"job", "api"}}), {{"a", 1, {{"id", "1"}}},
                                                          {"b", 1, {{"id", "2"}}},
                                                          {"c", 1, {{"id", "3"}}},
                                                          {"d", 1, {{"id", "1"}}}});
  router.start_batch(batch);
  router.route(batch, batch.records()[0]);
  router.route(batch, batch.records()[1]);
  Stream& overflow = router.route(batch, batch.records()[2]);
  CHECK(overflow.labels.text == R"({job="api"})");
  CHECK(router.records_over_stream_limit() == 1);
  CHECK(router.route(batch, batch.records()[3]).labels.text == R"({id="1", job="api"})");
}

}  // namespace
}  // namespace logship

namespace logship {
namespace {

TEST_CASE("without configured labels, input label values may template fields") {
  StreamRouter router({}, 100, 1);
  auto batch = loki_testing::make_batch(
      loki_testing::make_source({{"job", "app"}, {"level", "{fields.level}"}, {"odd", "{x"}}),
      {{"a", 1, {{"level", "warn"}}}, {"b", 1, {}}});
  router.start_batch(batch);
  CHECK(router.route(batch, batch.records()[0]).labels.text ==
        R"({job="app", level="warn", odd="{x"})");
  CHECK(router.route(batch, batch.records()[1]).labels.text == R"({job="app", odd="{x"})");
  auto plain = loki_testing::make_batch(loki_testing::make_source({}), {{"c"}});
  router.start_batch(plain);
  CHECK(router.route(plain, plain.records()[0]).labels.text == R"({job="logship"})");
}

TEST_CASE("over max_streams, input labels that are all templates fall back to job=logship") {
  StreamRouter router({}, 1, 1);
  auto source = [](const char* path) {
    return loki_testing::make_source({{"filename", "{file.path}"}}, path);
  };
  auto a = loki_testing::make_batch(source("/a.log"), {{"1"}});
  auto b = loki_testing::make_batch(source("/b.log"), {{"2"}});
  router.start_batch(a);
  CHECK(router.route(a, a.records()[0]).labels.text == R"({filename="/a.log"})");
  router.start_batch(b);
  CHECK(router.route(b, b.records()[0]).labels.text == R"({job="logship"})");
  CHECK(router.records_over_stream_limit() == 1);
}

}  // namespace
}  // namespace logship
