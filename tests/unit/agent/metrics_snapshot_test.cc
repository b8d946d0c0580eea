#include "agent/metrics_snapshot.h"

#include <doctest/doctest.h>

#include <string>

#include "agent/agent_metrics.h"

namespace logship {
namespace {

// What the agent itself renders, so a renamed series fails here rather than in `top`.
std::string agent_text() {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  auto& agent = **metrics;
  agent.set_ledger("app", "loki",
                   {.read = 100,
                    .delivered = 90,
                    .filtered = 3,
                    .rejected = {{"loki_400", 2}},
                    .dropped = {{"spool_overflow", 1}}});
  agent.set_ledger("app", "kafka", {.read = 100, .delivered = 100});
  agent.set_file_lags("app", {{"/var/log/b.log", 10}, {"/var/log/a \"q\".log", 4096}});
  auto app = agent.input("app");
  app.read_bytes->inc(12345);
  app.read_lines->inc(100);
  app.lag_bytes->set(4106);
  app.pauses->inc(2);
  auto loki = agent.output("loki");
  loki.sent_bytes->inc(999);
  loki.sent_records->inc(90);
  loki.retries->inc(4);
  loki.up->set(0);
  loki.last_success->set(1700000000.5);
  auto budget = agent.budget();
  budget.used_bytes->set(1 << 20);
  budget.limit_bytes->set(64 << 20);
  budget.rung->set(2);
  return agent.registry().render();
}

TEST_CASE("the agent's own exposition parses into its pipelines, files, outputs and budget") {
  const auto snapshot = parse_metrics_snapshot(agent_text());
  REQUIRE_MESSAGE(snapshot, snapshot.error().message);
  REQUIRE(snapshot->pipelines.size() == 2);
  const PipelineSnapshot& kafka = snapshot->pipelines[0];
  CHECK(kafka.input == "app");
  CHECK(kafka.output == "kafka");
  CHECK(kafka.read == 100);
  CHECK(kafka.delivered == 100);
  const PipelineSnapshot& loki = snapshot->pipelines[1];
  CHECK(loki.output == "loki");
  CHECK(loki.read == 100);
  CHECK(loki.delivered == 90);
  CHECK(loki.filtered == 3);
  CHECK(loki.rejected.at("loki_400") == 2);
  CHECK(loki.dropped.at("spool_overflow") == 1);
  CHECK(loki.in_flight == 4);
  CHECK(loki.read == loki.delivered + loki.filtered + loki.rejected_total() + loki.dropped_total() +
                         loki.in_flight);

  REQUIRE(snapshot->files.size() == 2);
  CHECK(snapshot->files[0].path == "/var/log/a \"q\".log");  // escapes undone
  CHECK(snapshot->files[0].lag_bytes == 4096);
  CHECK(snapshot->files[1].input == "app");
  CHECK(snapshot->files[1].lag_bytes == 10);

  const InputSnapshot& input = snapshot->inputs.at("app");
  CHECK(input.read_bytes == 12345);
  CHECK(input.read_lines == 100);
  CHECK(input.lag_bytes == 4106);
  CHECK(input.pauses == 2);
  const OutputSnapshot& output = snapshot->outputs.at("loki");
  CHECK(output.sent_bytes == 999);
  CHECK(output.sent_records == 90);
  CHECK(output.retries == 4);
  CHECK_FALSE(output.up);
  CHECK(output.last_success_unix == doctest::Approx(1700000000.5));
  CHECK(snapshot->memory.used_bytes == 1 << 20);
  CHECK(snapshot->memory.limit_bytes == 64 << 20);
  CHECK(snapshot->memory.rung == 2);
}

TEST_CASE("sample lines: labels with escapes, special values and an optional timestamp") {
  auto sample = parse_metric_sample(R"(m{a="x\\y",b="line\nnext",c="\""} 1.5e3 1700000000)");
  REQUIRE_MESSAGE(sample, sample.error().message);
  CHECK(sample->name == "m");
  REQUIRE(sample->labels.size() == 3);
  CHECK(sample->labels[0].second == "x\\y");
  CHECK(sample->labels[1].second == "line\nnext");
  CHECK(sample->labels[2].second == "\"");
  CHECK(sample->value == 1500);
  CHECK(parse_metric_sample("up +Inf")->value > 1e300);
  CHECK(parse_metric_sample("m{} 2")->value == 2);
  CHECK(parse_metric_sample("m{a=\"1\",} 3")->labels.size() == 1);
  CHECK_FALSE(parse_metric_sample("m{a=\"1\" 3"));
  CHECK_FALSE(parse_metric_sample("m{a=1} 3"));
  CHECK_FALSE(parse_metric_sample("m 3x"));
  CHECK_FALSE(parse_metric_sample("m"));
  CHECK_FALSE(parse_metric_sample("{a=\"1\"} 3"));
  CHECK_FALSE(parse_metric_sample(R"(m{a="\q"} 3)"));
}

TEST_CASE("an answer that is not a logship exposition is refused with the reason") {
  const auto other = parse_metrics_snapshot("# TYPE go_goroutines gauge\ngo_goroutines 7\n");
  REQUIRE_FALSE(other);
  CHECK(other.error().message == "no logship_ series in the answer");
  CHECK_FALSE(parse_metrics_snapshot(""));
  const auto html = parse_metrics_snapshot("<html>\n<body>hello</body>\n</html>\n");
  REQUIRE_FALSE(html);
  CHECK(html.error().message.starts_with("line 1 is not Prometheus text: "));
  const auto late = parse_metrics_snapshot("logship_memory_used_bytes 1\r\n\r\nbad line\n");
  REQUIRE_FALSE(late);
  CHECK(late.error().message.starts_with("line 3 "));
}

TEST_CASE("series top does not show are skipped, and a ledger alone is enough") {
  const auto snapshot = parse_metrics_snapshot(
      "logship_build_info{version=\"9\"} 1\n"
      "logship_future_series_total{input=\"x\"} 5\n"
      "logship_lines_read_total{input=\"x\",output=\"y\"} 5\n"
      "logship_lines_total{input=\"x\",output=\"y\",outcome=\"delivered\",reason=\"\"} 5\n"
      "logship_lines_in_flight{input=\"x\",output=\"y\"} 0\n");
  REQUIRE(snapshot);
  REQUIRE(snapshot->pipelines.size() == 1);
  CHECK(snapshot->pipelines[0].delivered == 5);
  CHECK(snapshot->outputs.empty());
  CHECK(snapshot->files.empty());
}

}  // namespace
}  // namespace logship
