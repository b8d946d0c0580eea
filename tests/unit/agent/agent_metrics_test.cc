#include "agent/agent_metrics.h"

#include <doctest/doctest.h>

#include <iterator>
#include <map>
#include <string>

#include "tests/unit/agent/prometheus_text.h"

namespace logship {
namespace {

TEST_CASE("the agent's catalogue renders as strict Prometheus text with its types") {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  auto& agent = **metrics;
  auto app = agent.input("app");
  auto loki = agent.output("loki");
  auto budget = agent.budget();
  app.read_lines->inc(10);
  agent.set_file_lags("app", {{"/var/log/app/a.log", 4096}});
  loki.sent_records->inc(10);
  loki.request_duration->observe(0.042);
  agent.loki("loki").streams->set(3);
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
  CHECK(parsed.value("logship_loki_streams", {{"output", "loki"}}) == 3);
  CHECK(parsed.value("logship_memory_degradation_rung") == 2);
  CHECK(parsed.value("logship_build_info", {{"version", "0.1.0"}}) == 1);
}

TEST_CASE("a file no longer open leaves the exposition") {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  (*metrics)->set_file_lags("app", {{"/gone.log", 1}, {"/stays.log", 2}});
  (*metrics)->set_file_lags("app", {{"/stays.log", 0}});
  const std::string text = (*metrics)->registry().render();
  CHECK(text.find("/gone.log") == std::string::npos);
  CHECK(text.find("/stays.log") != std::string::npos);
}

TEST_CASE("past the per-input cap, files share one overflow series per input") {
  auto metrics = AgentMetrics::create("0.1.0");
  REQUIRE(metrics);
  std::map<std::string, uint64_t> lags;
  for (size_t i = 0; i < kMaxFilesPerInput + 50; ++i) lags["/f" + std::to_string(1000 + i)] = 1;
  (*metrics)->set_file_lags("app", lags);
  (*metrics)->set_file_lags("other", {{"/o.log", 7}});
  auto parsed = test::parse_prometheus_text((*metrics)->registry().render());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.families.at("logship_file_lag_bytes").samples.size() == kMaxFilesPerInput + 2);
  CHECK(parsed.value("logship_file_lag_bytes", {{"input", "app"}, {"path", "_overflow"}}) == 50);
  CHECK(parsed.value("logship_file_lag_bytes", {{"input", "other"}, {"path", "/o.log"}}) == 7);
  // Files with a series keep it; once the rest fit, the overflow series goes.
  lags.erase(lags.begin(), std::next(lags.begin(), 60));
  (*metrics)->set_file_lags("app", lags);
  parsed = test::parse_prometheus_text((*metrics)->registry().render());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.families.at("logship_file_lag_bytes").samples.size() == lags.size() + 1);
  CHECK(parsed.value("logship_file_lag_bytes", {{"input", "app"}, {"path", "/f1149"}}) == 1);
}

}  // namespace
}  // namespace logship
