#include "agent/memory_limit.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

namespace {

using logship::AgentConfig;
using logship::MemoryLimit;

constexpr uint64_t kMiB = 1 << 20;

// memory_limit_from() over a fake /proc/self/cgroup and fake cgroupfs files.
MemoryLimit limit_for(const std::string& proc_self_cgroup,
                      const std::map<std::string, std::string>& files,
                      AgentConfig agent = AgentConfig{}) {
  return logship::memory_limit_from(agent, proc_self_cgroup,
                                    [&](const std::string& path) -> std::optional<std::string> {
                                      const auto found = files.find(path);
                                      if (found == files.end()) return std::nullopt;
                                      return found->second;
                                    });
}

constexpr const char* kV2Service = "0::/system.slice/logship.service\n";
constexpr const char* kV2ServiceMax = "/sys/fs/cgroup/system.slice/logship.service/memory.max";
constexpr const char* kV1Container =
    "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n1:name=systemd:/\n";
constexpr const char* kV1ContainerLimit = "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes";

}  // namespace

TEST_CASE("a v2 cgroup's own memory.max gives half of it") {
  const auto limit = limit_for(kV2Service, {{kV2ServiceMax, "536870912\n"}});
  CHECK(limit.bytes == 256 * kMiB);
  CHECK(limit.origin == std::string("half of cgroup memory.max (") + kV2ServiceMax + ")");
}

TEST_CASE("a v2 memory.max of max means no limit, so the default applies") {
  const auto limit = limit_for(kV2Service, {{kV2ServiceMax, "max\n"}});
  CHECK(limit.bytes == 64 * kMiB);
  CHECK(limit.origin == "default (no cgroup memory limit)");
}

TEST_CASE("a v1 memory cgroup's limit_in_bytes gives half of it") {
  const auto limit = limit_for(kV1Container, {{kV1ContainerLimit, "1073741824\n"}});
  CHECK(limit.bytes == 512 * kMiB);
  CHECK(limit.origin ==
        std::string("half of cgroup memory.limit_in_bytes (") + kV1ContainerLimit + ")");
}

TEST_CASE("v1's unlimited value means no limit, so the default applies") {
  const auto limit = limit_for(kV1Container, {{kV1ContainerLimit, "9223372036854771712\n"}});
  CHECK(limit.bytes == 64 * kMiB);
  CHECK(limit.origin == "default (no cgroup memory limit)");
}

TEST_CASE("without cgroup files the limit is the 64 MiB default") {
  CHECK(limit_for("", {}).bytes == 64 * kMiB);
  CHECK(limit_for(kV2Service, {}).bytes == 64 * kMiB);
}

TEST_CASE("the limit is half the cgroup's, rounded down") {
  CHECK(limit_for(kV2Service, {{kV2ServiceMax, "100000001"}}).bytes == 50000000);
}

TEST_CASE("a configured memory_limit wins over the cgroup's") {
  AgentConfig agent;
  agent.memory_limit = 32 * kMiB;
  const auto limit = limit_for(kV2Service, {{kV2ServiceMax, "536870912\n"}}, agent);
  CHECK(limit.bytes == 32 * kMiB);
  CHECK(limit.origin == "config");
}

TEST_CASE("the cgroupfs root's file is used when the agent's own cgroup is not mounted") {
  // In a container without a cgroup namespace, /proc/self/cgroup names the host's path and
  // the container's own cgroup is what is mounted at the root.
  CHECK(limit_for(kV2Service, {{"/sys/fs/cgroup/memory.max", "268435456"}}).bytes == 128 * kMiB);
  CHECK(limit_for(kV1Container, {{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "268435456"}})
            .bytes == 128 * kMiB);
}

TEST_CASE("a smaller limit on an ancestor cgroup is the one that binds") {
  const auto limit = limit_for(kV2Service, {{kV2ServiceMax, "1073741824"},
                                            {"/sys/fs/cgroup/system.slice/memory.max", "2097152"}});
  CHECK(limit.bytes == 1 * kMiB);
  CHECK(limit.origin == "half of cgroup memory.max (/sys/fs/cgroup/system.slice/memory.max)");
}

TEST_CASE("a hybrid host uses the v1 memory controller when v2 has no memory.max") {
  const auto limit =
      limit_for(std::string("0::/\n") + kV1Container, {{kV1ContainerLimit, "1073741824"}});
  CHECK(limit.bytes == 512 * kMiB);
}
