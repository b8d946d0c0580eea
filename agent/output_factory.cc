#include "agent/output_factory.h"

#include <iostream>
#include <variant>

#include "outputs/kafka/kafka_output.h"
#include "outputs/loki/loki_output.h"
#include "outputs/null/null_output.h"
#include "outputs/stdout/stdout_output.h"

namespace logship {
namespace {

struct OutputBuilder {
  const OutputContext& context;

  Result<std::unique_ptr<Output>> operator()(const StdoutOutputConfig& settings) const {
    return std::make_unique<StdoutOutput>(context.stdout_fd, settings.format);
  }
  Result<std::unique_ptr<Output>> operator()(const NullOutputConfig&) const {
    return std::make_unique<NullOutput>();
  }
  Result<std::unique_ptr<Output>> operator()(const KafkaOutputConfig& settings) const {
    KafkaEvents events{.rejected =
                           [](const KafkaRejection& rejection) {
                             std::cerr << ("logship: kafka rejected the record at " +
                                           rejection.path + ":" + std::to_string(rejection.offset) +
                                           ": " + rejection.error + "\n");
                           },
                       .log =
                           [](std::string_view line) {
                             std::cerr << ("logship: kafka: " + std::string(line) + "\n");
                           }};
    auto output = KafkaOutput::create(settings, *context.budget, std::move(events));
    if (!output) return std::unexpected(output.error());
    return std::unique_ptr<Output>(std::move(*output));
  }
  Result<std::unique_ptr<Output>> operator()(const LokiOutputConfig& settings) const {
    auto output = LokiOutput::create(
        settings, std::make_shared<LokiStats>(),
        [](std::string_view line) { std::cerr << ("logship: " + std::string(line) + "\n"); });
    if (!output) return std::unexpected(output.error());
    return std::unique_ptr<Output>(std::move(*output));
  }
};

}  // namespace

Result<std::unique_ptr<Output>> make_output(const OutputConfig& config,
                                            const OutputContext& context) {
  return std::visit(OutputBuilder{context}, config.settings);
}

}  // namespace logship
