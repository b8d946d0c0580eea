// `logship version`: the version and the libraries linked in, so an operator can tell
// what a static binary carries.
#include <librdkafka/rdkafka.h>
#include <lz4.h>
#include <openssl/crypto.h>
#include <pcre2.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <cstdio>

#include "agent/commands.h"

namespace logship {

int run_version() {
  std::array<char, 64> pcre2_version{};
  pcre2_config_8(PCRE2_CONFIG_VERSION, pcre2_version.data());
  const unsigned xxh = XXH_versionNumber();
  std::printf("logship %s\n", LOGSHIP_VERSION);
  std::printf("librdkafka %s\nzstd %s\nlz4 %s\nzlib %s\n%s\npcre2 %s\nxxhash %u.%u.%u\n",
              rd_kafka_version_str(), ZSTD_versionString(), LZ4_versionString(), zlibVersion(),
              OpenSSL_version(OPENSSL_VERSION), pcre2_version.data(), xxh / 10000, xxh / 100 % 100,
              xxh % 100);
  return kExitOk;
}

}  // namespace logship
