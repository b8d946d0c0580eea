# The two commands of the README. Both install what they need first (Debian 12).
JOBS ?= $(shell nproc)

.PHONY: run test deps release debug asan tsan torture

deps:
	bash packaging/install-deps.sh

release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j$(JOBS)

debug: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j$(JOBS)

asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j$(JOBS)

tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j$(JOBS)

# Ships the newest lines of this machine's logs to stdout as JSON records.
run: release
	./build/release/agent/logship tail -n 5 --format json '/var/log/*.log'

# Every test, on the static release binary and under ASan+UBSan (the fuzzers, which are
# always sanitized, are built and run by the asan preset only), then the unit and
# integration tests under ThreadSanitizer.
test: release asan tsan
	ctest --preset release -j$(JOBS)
	ctest --preset asan -j$(JOBS)
	ctest --preset tsan -j$(JOBS)

# The long fault tests, minutes each, on the release build (not part of `make test`).
torture: release
	for script in tests/torture/*.sh; do bash "$$script" || exit 1; done
