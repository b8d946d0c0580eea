#include "outputs/encoding/json_scan.h"

namespace logship {

// Architectures without SSE2: the portable scan is the build's choice.
size_t json_clean_prefix(std::string_view text) { return json_clean_prefix_portable(text); }

}  // namespace logship
