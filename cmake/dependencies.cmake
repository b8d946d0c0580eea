# Third-party libraries as imported targets. Everything comes from Debian packages
# (packaging/install-deps.sh) except librdkafka, which that script builds statically from
# Debian's source package because Debian's librdkafka.a cannot be linked statically, and
# snappy, which it builds from Debian's source at -O3 (Debian's is 1.4x slower; snappy is
# half of the Loki output's CPU).

find_package(Threads REQUIRED)

function(logship_find_library target name)
  find_library(${target}_LIBRARY NAMES ${name} REQUIRED)
  add_library(${target} UNKNOWN IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${${target}_LIBRARY}")
endfunction()

logship_find_library(deps_ssl ssl)
logship_find_library(deps_crypto crypto)
logship_find_library(deps_zstd zstd)
logship_find_library(deps_lz4 lz4)
logship_find_library(deps_z z)
set(LOGSHIP_SNAPPY_PREFIX "${LOGSHIP_DEPS_DIR}/snappy")
if(EXISTS "${LOGSHIP_SNAPPY_PREFIX}/lib/libsnappy.a")
  add_library(deps_snappy STATIC IMPORTED)
  set_target_properties(deps_snappy PROPERTIES
    IMPORTED_LOCATION "${LOGSHIP_SNAPPY_PREFIX}/lib/libsnappy.a"
    INTERFACE_INCLUDE_DIRECTORIES "${LOGSHIP_SNAPPY_PREFIX}/include")
else()
  message(STATUS "Using Debian's slower libsnappy: packaging/install-deps.sh builds a faster one")
  logship_find_library(deps_snappy snappy)
endif()
logship_find_library(deps_xxhash xxhash)
logship_find_library(deps_pcre2 pcre2-8)

set(LOGSHIP_RDKAFKA_ARCHIVE "${LOGSHIP_DEPS_DIR}/rdkafka/lib/librdkafka.a")
if(NOT EXISTS "${LOGSHIP_RDKAFKA_ARCHIVE}")
  message(FATAL_ERROR "${LOGSHIP_RDKAFKA_ARCHIVE} is missing: run packaging/install-deps.sh")
endif()
add_library(deps_rdkafka STATIC IMPORTED)
set_target_properties(deps_rdkafka PROPERTIES
  IMPORTED_LOCATION "${LOGSHIP_RDKAFKA_ARCHIVE}"
  INTERFACE_INCLUDE_DIRECTORIES "${LOGSHIP_DEPS_DIR}/rdkafka/include")
target_link_libraries(deps_rdkafka INTERFACE
  deps_ssl deps_crypto deps_zstd deps_lz4 deps_z Threads::Threads ${CMAKE_DL_LIBS} m rt)

# Every archive the static binary must carry, so the static link is proven from day one.
add_library(logship_third_party INTERFACE)
target_link_libraries(logship_third_party INTERFACE
  deps_rdkafka deps_snappy deps_xxhash deps_pcre2 deps_zstd deps_ssl deps_crypto deps_z
  Threads::Threads)
set_target_properties(deps_pcre2 PROPERTIES INTERFACE_COMPILE_DEFINITIONS PCRE2_CODE_UNIT_WIDTH=8)
