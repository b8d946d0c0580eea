#!/usr/bin/env bash
# Installs everything logship needs to build and test on Debian 12, and builds the static
# librdkafka that the static binary links (Debian's librdkafka.a pulls cyrus-sasl, whose
# static archive needs ldap/mysql/gssapi archives Debian does not ship).
# Idempotent and quiet when everything is already there. Needs root (or sudo).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_dir="${LOGSHIP_DEPS_DIR:-$repo_root/.deps}"
rdkafka_prefix="$deps_dir/rdkafka"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

packages=(
  build-essential cmake pkg-config file dpkg-dev python3
  librdkafka-dev libzstd-dev liblz4-dev libssl-dev libsasl2-dev zlib1g-dev
  libcli11-dev libtomlplusplus-dev doctest-dev libsnappy-dev libxxhash-dev
  libpcre2-dev rapidjson-dev libcpp-httplib-dev
  kcat clang-format util-linux procps
  clang libclang-rt-14-dev  # libFuzzer for the parsers' fuzz tests
  systemd python3-yaml
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

if [ ! -f "$rdkafka_prefix/lib/librdkafka.a" ]; then
  echo "install-deps: building static librdkafka from Debian's source package" >&2
  work="$deps_dir/src"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && apt-get source -qq librdkafka >/dev/null 2>&1)
  src=$(find "$work" -maxdepth 1 -type d -name 'librdkafka-*' | head -n 1)
  (
    cd "$src"
    ./configure --prefix="$rdkafka_prefix" --enable-static --disable-gssapi --disable-curl \
      --disable-sasl >/dev/null
    make -j"$(nproc)" libs >/dev/null 2>&1
    make -C src install >/dev/null 2>&1
  )
  rm -rf "$work"
fi
