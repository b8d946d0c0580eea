#include "agent/metrics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/agent/prometheus_text.h"

namespace logship {
namespace {

using test::parse_prometheus_text;

MetricFamily<Counter>& counter(MetricsRegistry& registry, std::string name,
                               std::vector<std::string> labels = {}, size_t max_series = 100) {
  auto family = registry.counter({.name = std::move(name),
                                  .help = "Test counter.",
                                  .label_names = std::move(labels),
                                  .max_series = max_series});
  REQUIRE(family);
  return **family;
}

TEST_CASE("counters render with HELP and TYPE and their labels") {
  MetricsRegistry registry;
  auto& lines = counter(registry, "logship_input_lines_total", {"input"});
  lines.with({"app"})->inc(3);
  lines.with({"app"})->inc();
  lines.with({"db"})->inc(7);
  CHECK(registry.render() ==
        "# HELP logship_input_lines_total Test counter.\n"
        "# TYPE logship_input_lines_total counter\n"
        "logship_input_lines_total{input=\"app\"} 4\n"
        "logship_input_lines_total{input=\"db\"} 7\n");
}

TEST_CASE("gauges and unlabelled series render without braces") {
  MetricsRegistry registry;
  auto family = registry.gauge({.name = "logship_memory_used_bytes", .help = "Used."});
  REQUIRE(family);
  auto used = (*family)->with({});
  used->set(1024);
  used->add(-24);
  used->add(0.5);
  const std::string text = registry.render();
  CHECK(text.ends_with("\nlogship_memory_used_bytes 1000.5\n"));
  CHECK(parse_prometheus_text(text).error.empty());
}

TEST_CASE("label values and help text are escaped") {
  MetricsRegistry registry;
  auto family = registry.counter({.name = "logship_file_bytes_read_total",
                                  .help = "Bytes\\read\nper file.",
                                  .label_names = {"path"}});
  REQUIRE(family);
  (*family)->with({"C:\\logs\\\"a\"\nb"})->inc(2);
  const std::string text = registry.render();
  CHECK(text.find("# HELP logship_file_bytes_read_total Bytes\\\\read\\nper file.\n") !=
        std::string::npos);
  CHECK(text.find("{path=\"C:\\\\logs\\\\\\\"a\\\"\\nb\"} 2\n") != std::string::npos);
  const auto parsed = parse_prometheus_text(text);
  REQUIRE(parsed.error.empty());
  CHECK(parsed.value("logship_file_bytes_read_total", {{"path", "C:\\logs\\\"a\"\nb"}}) == 2);
}

TEST_CASE("a histogram counts each observation in the first bucket whose bound holds it") {
  MetricsRegistry registry;
  auto family = registry.histogram({.name = "logship_output_request_duration_seconds",
                                    .help = "Request latency.",
                                    .label_names = {"output"},
                                    .bounds = {0.1, 1, 10}});
  REQUIRE(family);
  auto loki = (*family)->with({"loki"});
  for (double v : {0.05, 0.1, 0.5, 1.0, 20.0, std::nan("")}) loki->observe(v);
  const std::string text = registry.render();
  const std::string name = "logship_output_request_duration_seconds";
  CHECK(text.find(name + "_bucket{output=\"loki\",le=\"0.1\"} 2\n") != std::string::npos);
  CHECK(text.find(name + "_bucket{output=\"loki\",le=\"1\"} 4\n") != std::string::npos);
  CHECK(text.find(name + "_bucket{output=\"loki\",le=\"10\"} 4\n") != std::string::npos);
  CHECK(text.find(name + "_bucket{output=\"loki\",le=\"+Inf\"} 5\n") != std::string::npos);
  CHECK(text.find(name + "_sum{output=\"loki\"} 21.65\n") != std::string::npos);
  CHECK(text.find(name + "_count{output=\"loki\"} 5\n") != std::string::npos);
  CHECK(parse_prometheus_text(text).error.empty());
}

TEST_CASE("registration refuses names Prometheus or our conventions would not accept") {
  MetricsRegistry registry;
  auto bad_counter = [&](std::string name, std::vector<std::string> labels = {}) {
    return !registry.counter({.name = std::move(name), .help = "x", .label_names = labels});
  };
  CHECK(bad_counter("logship_lines"));             // a counter without _total
  CHECK(bad_counter("lines_total"));               // not ours
  CHECK(bad_counter("logship-lines_total"));       // bad character
  CHECK(bad_counter("logship_a_total", {"__x"}));  // reserved label
  CHECK(bad_counter("logship_a_total", {"a:b"}));  // colon in a label name
  CHECK(bad_counter("logship_a_total", {"a", "a"}));
  CHECK_FALSE(bad_counter("logship_a_total", {"input"}));
  CHECK(bad_counter("logship_a_total"));  // registered twice
  CHECK(!registry.gauge({.name = "logship_queue_total", .help = "x"}));
  CHECK(!registry.histogram({.name = "logship_h_seconds", .help = "x", .bounds = {1, 1}}));
  CHECK(!registry.histogram({.name = "logship_h_seconds", .help = "x", .bounds = {}}));
  CHECK(!registry.histogram(
      {.name = "logship_h_seconds", .help = "x", .label_names = {"le"}, .bounds = {1}}));
  CHECK(registry.histogram({.name = "logship_h_seconds", .help = "x", .bounds = {1, 2}}));
  CHECK(valid_metric_name("a:b_c9"));
  CHECK_FALSE(valid_metric_name("9a"));
  CHECK_FALSE(valid_label_name("a:b"));
}

TEST_CASE("label sets past max_series share the overflow series") {
  MetricsRegistry registry;
  auto& files = counter(registry, "logship_file_lines_total", {"input", "path"}, 2);
  files.with({"app", "/a"})->inc();
  files.with({"app", "/b"})->inc();
  files.with({"app", "/c"})->inc(5);
  files.with({"app", "/d"})->inc(6);
  files.with({"only one value"})->inc(100);  // wrong arity never crashes, never hides
  CHECK(files.size() == 3);
  const auto parsed = parse_prometheus_text(registry.render());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.value("logship_file_lines_total", {{"input", "_overflow"}, {"path", "_overflow"}}) ==
        111);
  SUBCASE("removing a file's series frees its place") {
    files.remove({"app", "/a"});
    files.with({"app", "/e"})->inc();
    CHECK(parse_prometheus_text(registry.render())
              .value("logship_file_lines_total", {{"input", "app"}, {"path", "/e"}}) == 1);
  }
}

TEST_CASE("a series kept by a component survives its removal from the registry") {
  MetricsRegistry registry;
  auto& family = counter(registry, "logship_file_rotations_total", {"path"});
  auto kept = family.with({"/gone"});
  family.remove({"/gone"});
  kept->inc();  // not rendered any more, and not a use-after-free
  CHECK(kept->value() == 1);
  CHECK(registry.render().find("/gone") == std::string::npos);
}

TEST_CASE("collectors run before each render") {
  MetricsRegistry registry;
  auto family = registry.gauge({.name = "logship_file_lag_bytes", .help = "Lag."});
  REQUIRE(family);
  auto lag = (*family)->with({});
  int calls = 0;
  registry.on_render([&] { lag->set(++calls * 10); });
  CHECK(registry.render().ends_with("logship_file_lag_bytes 10\n"));
  CHECK(registry.render().ends_with("logship_file_lag_bytes 20\n"));
}

TEST_CASE("build info is a gauge of 1 labelled with the version") {
  MetricsRegistry registry;
  REQUIRE(register_build_info(registry, "0.1.0"));
  const auto parsed = parse_prometheus_text(registry.render());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.families.at("logship_build_info").type == "gauge");
  CHECK(parsed.value("logship_build_info", {{"version", "0.1.0"}}) == 1);
  CHECK_FALSE(register_build_info(registry, "0.1.0"));  // once per registry
}

TEST_CASE("concurrent updates are all counted and renders stay consistent") {
  MetricsRegistry registry;
  auto& lines = counter(registry, "logship_lines_total", {"input"});
  auto family = registry.histogram(
      {.name = "logship_batch_bytes", .help = "Batch sizes.", .bounds = {10, 100, 1000}});
  REQUIRE(family);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto counter = lines.with({"app"});
        auto sizes = (*family)->with({});
        for (int i = 0; i < kPerThread; ++i) {
          counter->inc();
          sizes->observe((i * (t + 1)) % 2000);
        }
      });
    }
    for (int i = 0; i < 50; ++i) {
      const auto parsed = parse_prometheus_text(registry.render());
      REQUIRE(parsed.error.empty());
    }
  }
  const auto parsed = parse_prometheus_text(registry.render());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.value("logship_lines_total", {{"input", "app"}}) == kThreads * kPerThread);
  CHECK(parsed.value("logship_batch_bytes_count") == kThreads * kPerThread);
}

}  // namespace
}  // namespace logship

namespace logship::test {
namespace {

TEST_CASE("the strict parser refuses what Prometheus would refuse") {
  auto error = [](std::string_view text) { return !parse_prometheus_text(text).error.empty(); };
  CHECK_FALSE(error("# TYPE logship_a_total counter\nlogship_a_total{x=\"1\"} 1\n"));
  CHECK(error("logship_a_total 1\n"));                                // no TYPE
  CHECK(error("# TYPE logship_a_total counter\nlogship_a_total 1"));  // no final newline
  CHECK(error("# TYPE logship_a_total counter\nlogship_a_total{x=\"1\",} 1\n"));
  CHECK(error("# TYPE logship_a_total counter\nlogship_a_total{x=1} 1\n"));
  CHECK(error("# TYPE logship_a_total counter\nlogship_a_total{x=\"\\t\"} 1\n"));
  CHECK(error("# TYPE logship_a_total counter\nlogship_a_total -1\n"));
  CHECK(error("# TYPE logship_a_total counter\nlogship_a_total 1\nlogship_a_total 2\n"));
  CHECK(error("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na 2\n"));  // interleaved
  CHECK(error("# TYPE a gauge\na one\n"));
  CHECK(error("# random comment\n"));
  const std::string h = "# TYPE h histogram\n";
  CHECK_FALSE(error(h + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"));
  CHECK(error(h + "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"));
  CHECK(error(h + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 3\n"));
  CHECK(error(h + "h_bucket{le=\"1\"} 1\nh_sum 3\nh_count 1\n"));  // no +Inf
  CHECK(error(h + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
                  "h_sum 3\nh_count 1\n"));
  CHECK(error(h + "h 1\n"));
}

}  // namespace
}  // namespace logship::test
