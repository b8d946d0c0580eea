#include "agent/output_factory.h"

#include <algorithm>
#include <string>
#include <variant>

#include "agent/agent_log.h"
#include "outputs/kafka/kafka_output.h"
#include "outputs/loki/loki_output.h"
#include "outputs/null/null_output.h"
#include "outputs/stdout/stdout_output.h"

namespace logship {
namespace {

// librdkafka logs with syslog levels.
LogLevel from_syslog(int level) {
  if (level <= 3) return LogLevel::kError;
  if (level == 4) return LogLevel::kWarn;
  if (level <= 6) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

LatencyObserver observe_into(const std::shared_ptr<Histogram>& histogram) {
  if (!histogram) return {};
  return [histogram](double seconds) { histogram->observe(seconds); };
}

// `max_streams`: the output's stream cap, named when records go over it.
void log_loki_event(const std::string& output, int64_t max_streams, const LokiEvent& event) {
  const std::string status = event.status ? std::to_string(*event.status) : "none";
  switch (event.kind) {
    case LokiEvent::Kind::kRetrying:
      agent_log().log(LogLevel::kWarn, "loki push failed; retrying until it succeeds",
                      {{"output", output},
                       {"status", status},
                       {"error", event.error},
                       {"entries", event.entries},
                       {"retry_in_ms", event.delay.count()}});
      return;
    case LokiEvent::Kind::kRecovered:
      agent_log().log(LogLevel::kInfo, "loki pushes succeed again", {{"output", output}});
      return;
    case LokiEvent::Kind::kEndpointFault:
      // Error, not warn: no retry fixes a wrong URL or credentials; an operator must.
      agent_log().log(LogLevel::kError,
                      "loki endpoint refused the push (check url and credentials); retrying",
                      {{"output", output},
                       {"status", status},
                       {"error", event.error},
                       {"entries", event.entries},
                       {"retry_in_ms", event.delay.count()}});
      return;
    case LokiEvent::Kind::kRejected: {
      // One message per reason, so the repeat limiter writes each reason's first entry
      // once per interval and counts the rest.
      const std::string msg = "loki rejected an entry, not retried: " + std::string(event.reason);
      agent_log().log(LogLevel::kError, msg,
                      {{"output", output},
                       {"status", status},
                       {"reason", event.reason},
                       {"error", event.error},
                       {"path", event.path},
                       {"offset", event.offset}});
      return;
    }
    case LokiEvent::Kind::kOverStreamLimit:
      // Once per batch that goes over; the log writes it once per repeat interval and
      // counts the rest (logship_loki_records_over_stream_limit_total has the exact total).
      agent_log().log(
          LogLevel::kWarn, "loki stream limit reached; records ship without their field labels",
          {{"output", output}, {"max_streams", max_streams}, {"records", event.entries}});
      return;
  }
}

struct OutputBuilder {
  const OutputConfig& config;
  const OutputContext& context;

  Result<std::unique_ptr<Output>> operator()(const StdoutOutputConfig& settings) const {
    return std::make_unique<StdoutOutput>(context.stdout_fd, settings.format);
  }
  Result<std::unique_ptr<Output>> operator()(const NullOutputConfig&) const {
    return std::make_unique<NullOutput>();
  }
  Result<std::unique_ptr<Output>> operator()(const KafkaOutputConfig& settings) const {
    KafkaEvents events{
        .rejected =
            [name = config.name](const KafkaRejection& rejection) {
              agent_log().log(LogLevel::kError, "kafka rejected a record, not retried",
                              {{"output", name},
                               {"path", rejection.path},
                               {"offset", rejection.offset},
                               {"error", rejection.error}});
            },
        .log =
            [name = config.name](int level, std::string_view what, std::string_view message) {
              agent_log().log(from_syslog(level), "kafka producer",
                              {{"output", name}, {"what", what}, {"error", message}});
            },
        .latency = observe_into(context.request_seconds)};
    // Every input of this output runs its own producer (README: Memory): say so when their
    // estimated working memory cannot fit in their shares of the budget.
    const uint64_t share = context.budget->limit() / std::max<uint32_t>(context.instances, 1);
    if (context.instances > 1 && producer_working_bytes(settings) > share / 2) {
      agent_log().log(LogLevel::kWarn,
                      "kafka output: each input runs its own producer, and their working "
                      "memory may exceed memory_limit; raise it, or read the files through "
                      "fewer inputs",
                      {{"output", config.name},
                       {"inputs", context.instances},
                       {"producer_working_bytes", producer_working_bytes(settings)},
                       {"memory_limit", context.budget->limit()}});
    }
    auto output = KafkaOutput::create(settings, *context.budget, std::move(events),
                                      context.instances, context.stop);
    if (!output) return std::unexpected(output.error());
    return std::unique_ptr<Output>(std::move(*output));
  }
  Result<std::unique_ptr<Output>> operator()(const LokiOutputConfig& settings) const {
    LokiEvents events{
        .log = [name = config.name, max_streams = settings.max_streams](
                   const LokiEvent& event) { log_loki_event(name, max_streams, event); },
        .latency = observe_into(context.request_seconds)};
    auto output =
        LokiOutput::create(settings, context.loki_stats, std::move(events), context.budget);
    if (!output) return std::unexpected(output.error());
    return std::unique_ptr<Output>(std::move(*output));
  }
};

}  // namespace

Result<std::unique_ptr<Output>> make_output(const OutputConfig& config,
                                            const OutputContext& context) {
  return std::visit(OutputBuilder{config, context}, config.settings);
}

}  // namespace logship
