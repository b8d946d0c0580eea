#!/usr/bin/env bash
# The checked-in clang-format style holds for every C++ file in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.h' '*.cc' | xargs -0 clang-format --dry-run --Werror
