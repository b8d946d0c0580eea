#include "agent/output_factory.h"

#include <variant>

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
};

}  // namespace

Result<std::unique_ptr<Output>> make_output(const OutputConfig& config,
                                            const OutputContext& context) {
  return std::visit(OutputBuilder{context}, config.settings);
}

}  // namespace logship
