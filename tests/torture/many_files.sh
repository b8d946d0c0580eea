#!/usr/bin/env bash
# Files beyond max_open_files at scale: 5,000 and 20,000 files x 10 lines under one glob,
# followed with the default max_open_files (1,024), then 100 appends to random files. Every
# line arrives, every append within rescan_interval + 2 s, open fds stay within
# max_open_files + a handful, the ledger balances. Too slow for CI; the suite runs the same
# test with 500 files and max_open_files = 16 (integration_open_files). Run by
# `make torture` on the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/release
for files in 5000 20000; do
  LOGSHIP_OPEN_FILES_COUNT=$files LOGSHIP_OPEN_FILES_MAX=1024 \
    python3 -B tests/integration/open_files_test.py "$build/agent/logship"
done
