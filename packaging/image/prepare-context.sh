#!/usr/bin/env bash
# Lays out the build context of the container image: the stripped static binary, this
# machine's CA bundle (from its ca-certificates package, so the build pulls no base
# image and needs no registry), nsswitch.conf, the container's config and the
# Containerfile. Prints the context directory.
# Usage: prepare-context.sh [BUILD_DIR [CONTEXT_DIR]]
#   defaults: build/release and build/release/image
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:-$here/../../build/release}
context=${2:-$build_dir/image}
binary=$build_dir/packaging/logship
ca_bundle=/etc/ssl/certs/ca-certificates.crt

if [ ! -x "$binary" ]; then
  echo "prepare-context: no $binary: build the release preset first" >&2
  exit 1
fi
if ! dpkg-query -W -f='${Status}' ca-certificates 2>/dev/null | grep -q "ok installed" ||
  [ ! -s "$ca_bundle" ]; then
  echo "prepare-context: no $ca_bundle: install the ca-certificates package" >&2
  exit 1
fi
rm -rf "$context"
install -D -m 0755 "$binary" "$context/usr/bin/logship"
install -D -m 0644 "$ca_bundle" "$context/etc/ssl/certs/ca-certificates.crt"
install -D -m 0644 "$here/nsswitch.conf" "$context/etc/nsswitch.conf"
install -D -m 0644 "$here/logship.toml" "$context/etc/logship/logship.toml"
install -D -m 0644 "$here/Containerfile" "$context/Containerfile"
echo "$context"
