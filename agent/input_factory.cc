#include "agent/input_factory.h"

#include "inputs/parse/file_parser.h"

namespace logship {

Result<FileInputOptions> file_input_options(const InputConfig& input, bool follow,
                                            std::string scope) {
  FileInputOptions options{
      .name = input.name,
      .scope = std::move(scope),
      .paths = input.paths,
      .exclude = input.exclude,
      .start = {input.start_at == StartAt::kHead ? StartPosition::Kind::kHead
                                                 : StartPosition::Kind::kEnd},
      .follow = follow,
      .flush_partial_after = input.flush_partial_after,
      .rescan_interval = input.rescan_interval,
      .use_inotify = input.use_inotify,
      .max_open_files = static_cast<size_t>(input.max_open_files),
      .labels = {input.labels.begin(), input.labels.end()},
      .kubernetes_labels = input.parse.kubernetes_labels,
  };
  options.tailer.max_line_bytes = input.max_line_bytes;
  options.tailer.long_lines = input.long_lines;
  auto parser = FileParser::create(input.parser, input.max_line_bytes, input.parse);
  if (!parser) {
    return make_error(ErrorCode::kInvalidConfig,
                      "input \"" + input.name + "\": " + parser.error().message);
  }
  if (!parser->passthrough()) options.tailer.parser = std::move(*parser);
  return options;
}

}  // namespace logship
