// `logship version`: the version, the build id and the libraries linked in, so an operator
// can tell what a static binary carries and find the debug info that belongs to it (the
// build id names it under /usr/lib/debug/.build-id/).
#include <elf.h>
#include <librdkafka/rdkafka.h>
#include <link.h>
#include <lz4.h>
#include <openssl/crypto.h>
#include <pcre2.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "agent/commands.h"

namespace logship {
namespace {

size_t align_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

// The descriptor of the NT_GNU_BUILD_ID note in one PT_NOTE segment, as hex; "" if none.
std::string build_id_in(std::span<const unsigned char> notes, size_t align) {
  size_t at = 0;
  while (at + sizeof(ElfW(Nhdr)) <= notes.size()) {
    ElfW(Nhdr) header;
    std::memcpy(&header, notes.data() + at, sizeof header);
    const size_t name_at = at + sizeof header;
    const size_t desc_at = name_at + align_up(header.n_namesz, align);
    if (desc_at + header.n_descsz > notes.size()) break;
    if (header.n_type == NT_GNU_BUILD_ID && header.n_namesz == 4 &&
        std::memcmp(notes.data() + name_at, "GNU", 4) == 0) {
      std::string hex;
      for (unsigned char byte : notes.subspan(desc_at, header.n_descsz)) {
        std::array<char, 3> digits{};
        std::snprintf(digits.data(), digits.size(), "%02x", byte);
        hex += digits.data();
      }
      return hex;
    }
    at = desc_at + align_up(header.n_descsz, align);
  }
  return "";
}

// dl_iterate_phdr callback: the first object reported is the program itself (also when
// it is linked statically); the search stops there.
int find_build_id(dl_phdr_info* info, size_t, void* out) {
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const auto* start = reinterpret_cast<const unsigned char*>(info->dlpi_addr + segment.p_vaddr);
    // Notes are padded to 4 bytes, or to 8 in a segment aligned so (.note.gnu.property).
    const size_t align = segment.p_align == 8 ? 8 : 4;
    std::string id = build_id_in({start, segment.p_memsz}, align);
    if (!id.empty()) {
      *static_cast<std::string*>(out) = std::move(id);
      break;
    }
  }
  return 1;
}

// The running binary's GNU build id, read from its own loaded ELF notes; "" without one.
std::string build_id() {
  std::string id;
  dl_iterate_phdr(find_build_id, &id);
  return id;
}

}  // namespace

int run_version() {
  std::array<char, 64> pcre2_version{};
  pcre2_config_8(PCRE2_CONFIG_VERSION, pcre2_version.data());
  const unsigned xxh = XXH_versionNumber();
  const std::string id = build_id();
  std::printf("logship %s\nbuild-id %s\n", LOGSHIP_VERSION, id.empty() ? "none" : id.c_str());
  std::printf("librdkafka %s\nzstd %s\nlz4 %s\nzlib %s\n%s\npcre2 %s\nxxhash %u.%u.%u\n",
              rd_kafka_version_str(), ZSTD_versionString(), LZ4_versionString(), zlibVersion(),
              OpenSSL_version(OPENSSL_VERSION), pcre2_version.data(), xxh / 10000, xxh / 100 % 100,
              xxh % 100);
  return kExitOk;
}

}  // namespace logship
