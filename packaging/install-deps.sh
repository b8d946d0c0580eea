#!/usr/bin/env bash
# Installs everything logship needs to build and test on Debian 12, and builds the static
# librdkafka that the static binary links (Debian's librdkafka.a pulls cyrus-sasl, whose
# static archive needs ldap/mysql/gssapi archives Debian does not ship), and snappy at -O3
# from Debian's source package (Debian's libsnappy.a compresses the Loki benchmark's JSON
# lines at 0.70 CPU s/GiB, the same 1.1.9 source built here at 0.50).
# Idempotent and quiet when everything is already there. Needs root (or sudo).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_dir="${LOGSHIP_DEPS_DIR:-$repo_root/.deps}"
rdkafka_prefix="$deps_dir/rdkafka"
snappy_prefix="$deps_dir/snappy"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

packages=(
  build-essential cmake pkg-config file dpkg-dev patch python3
  librdkafka-dev libzstd-dev liblz4-dev libssl-dev libsasl2-dev zlib1g-dev
  libcli11-dev libtomlplusplus-dev doctest-dev libsnappy-dev libxxhash-dev
  libpcre2-dev rapidjson-dev libcpp-httplib-dev
  kcat clang-format util-linux procps
  clang libclang-rt-14-dev  # libFuzzer for the parsers' fuzz tests
  systemd python3-yaml
  help2man lintian  # the .deb's manual page, and its check in packaging_deb
  ca-certificates  # the container image's CA bundle
  tmux  # the `logship top` terminal test
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

src_list=/etc/apt/sources.list.d/logship-deb-src.sources
need_update=0
if [ ! -f "$src_list" ]; then
  "${sudo_cmd[@]}" tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ "$need_update" -eq 1 ]; then
  echo "install-deps: installing ${missing[*]:-source index}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The source versions the patch and the measurements in packaging/patches/README.md were
# made against (Debian 12's). A Debian without them stops here rather than build something
# nobody measured.
rdkafka_version=2.0.2-1
snappy_version=1.1.9-3

# Unpacks version $2 of Debian's source package $1 into a fresh $work; sets src to its tree.
fetch_source() {
  echo "install-deps: building static $1 $2 from Debian's source package" >&2
  work="$deps_dir/src-$1"
  rm -rf "$work" && mkdir -p "$work"
  if ! (cd "$work" && apt-get source -qq "$1=$2" >/dev/null 2>&1); then
    echo "install-deps: cannot fetch Debian's source package $1 $2 (see packaging/patches/README.md)" >&2
    exit 1
  fi
  src=$(find "$work" -maxdepth 1 -type d -name "$1-*" | head -n 1)
}

# Our patch to librdkafka's producer (see packaging/patches/README.md); a change to it
# rebuilds the archive, as the stamp next to it records which patch it was built with.
rdkafka_patch="$repo_root/packaging/patches/librdkafka-per-message-costs.patch"
rdkafka_stamp="$rdkafka_prefix/patch.sha256"
patch_sum=$(sha256sum "$rdkafka_patch" | cut -d' ' -f1)
if [ ! -f "$rdkafka_prefix/lib/librdkafka.a" ] || [ "$(cat "$rdkafka_stamp" 2>/dev/null)" != "$patch_sum" ]; then
  fetch_source librdkafka "$rdkafka_version"
  (
    cd "$src"
    if ! patch -p1 --dry-run --silent <"$rdkafka_patch" >/dev/null 2>&1; then
      echo "install-deps: $(basename "$rdkafka_patch") does not apply to $(basename "$src")" >&2
      exit 1
    fi
    patch -p1 --silent <"$rdkafka_patch"
    ./configure --prefix="$rdkafka_prefix" --enable-static --disable-gssapi --disable-curl \
      --disable-sasl >/dev/null
    make -j"$(nproc)" libs >/dev/null 2>&1
    make -C src install >/dev/null 2>&1
  )
  echo "$patch_sum" >"$rdkafka_stamp"
  rm -rf "$work"
fi

if [ ! -f "$snappy_prefix/lib/libsnappy.a" ]; then
  fetch_source snappy "$snappy_version"
  # RTTI on, as Debian builds it: we derive from snappy::Source and snappy::Sink.
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DSNAPPY_ENABLE_RTTI=ON -DSNAPPY_BUILD_TESTS=OFF -DSNAPPY_BUILD_BENCHMARKS=OFF \
    -DCMAKE_INSTALL_PREFIX="$snappy_prefix" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
  # One target at a time: Debian's patch adds snappy-static, which writes the same archive.
  cmake --build "$work/build" --target snappy >/dev/null 2>&1
  cmake --build "$work/build" --target snappy-static >/dev/null 2>&1
  cmake --install "$work/build" >/dev/null
  rm -rf "$work"
fi
