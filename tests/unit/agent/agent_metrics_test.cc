#include "agent/agent_metrics.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/unit/agent/prometheus_text.h"

namespace logship {
namespace {

TEST_CASE("the agent's catalogue renders as strict Prometheus text with its types") {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  auto& agent = **metrics;
  auto app = agent.input("app");
  auto file = agent.file("app", "/var/log/app/a.log");
  auto loki = agent.output("loki");
  auto budget = agent.budget();
  app.read_lines->inc(10);
  file.read_lines->inc(10);
  file.lag_bytes->set(4096);
  loki.sent_records->inc(10);
  loki.request_duration->observe(0.042);
  budget.limit_bytes->set(64 << 20);
  budget.rung->set(2);

  const auto parsed = test::parse_prometheus_text(agent.registry().render());
  REQUIRE_MESSAGE(parsed.error.empty(), parsed.error);
  for (const auto& [name, family] : parsed.families) {
    CAPTURE(name);
    CHECK(name.starts_with("logship_"));
    CHECK(name.ends_with("_total") == (family.type == "counter"));
    CHECK_FALSE(family.help.empty());
  }
  CHECK(parsed.families.at("logship_output_request_duration_seconds").type == "histogram");
  CHECK(parsed.value("logship_input_read_lines_total", {{"input", "app"}}) == 10);
  CHECK(parsed.value("logship_file_lag_bytes",
                     {{"input", "app"}, {"path", "/var/log/app/a.log"}}) == 4096);
  CHECK(parsed.value("logship_output_sent_records_total", {{"output", "loki"}}) == 10);
  CHECK(parsed.value("logship_memory_degradation_rung") == 2);
  CHECK(parsed.value("logship_build_info", {{"version", "0.1.0"}}) == 1);
}

TEST_CASE("a forgotten file's series leave the exposition") {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  auto file = (*metrics)->file("app", "/gone.log");
  file.read_bytes->inc(1);
  (*metrics)->forget_file("app", "/gone.log");
  file.read_bytes->inc(1);  // a late update from the input is harmless
  CHECK((*metrics)->registry().render().find("/gone.log") == std::string::npos);
}

TEST_CASE("per-file series are capped however many files come and go") {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  for (size_t i = 0; i < kMaxFileSeries + 50; ++i) {
    (*metrics)->file("app", "/f" + std::to_string(i)).read_lines->inc();
  }
  const auto parsed = test::parse_prometheus_text((*metrics)->registry().render());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.families.at("logship_file_read_lines_total").samples.size() == kMaxFileSeries + 1);
  CHECK(parsed.value("logship_file_read_lines_total",
                     {{"input", "_overflow"}, {"path", "_overflow"}}) == 50);
}

}  // namespace
}  // namespace logship
