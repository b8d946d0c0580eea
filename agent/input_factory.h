#pragma once
// file_input_options: an input's validated config turned into what a FileInput runs
// with (parser built, start policy, watch mode). The one place both `run` and `tail` use.

#include <string>

#include "agent/config.h"
#include "inputs/file/file_input.h"

namespace logship {

Result<FileInputOptions> file_input_options(const InputConfig& input, bool follow,
                                            std::string scope);

}  // namespace logship
