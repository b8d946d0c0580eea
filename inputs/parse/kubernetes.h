#pragma once
// Kubernetes labels from a log file's path, without an API server. kubelet writes
//   /var/log/pods/<namespace>_<pod>_<pod-uid>/<container>/<restart>.log
// (rotated to <restart>.log.<timestamp>, then gzipped) and links
//   /var/log/containers/<pod>_<namespace>_<container>-<container-id>.log
// to it. Names cannot contain '_' (DNS labels/subdomains), so '_' splits them safely.
// Pure: the caller resolves symlinks (realpath) and passes both paths.
// Thread: any.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logship {

struct KubernetesLabels {
  std::string namespace_name;
  std::string pod;
  std::string pod_uid;  // empty when only the /var/log/containers name was available
  std::string container;

  // As labels: namespace, pod, pod_uid (when known), container.
  std::vector<std::pair<std::string, std::string>> to_labels() const;
};

// From a /var/log/pods path (any root, located by its `pods` directory) or a
// /var/log/containers file name; nullopt for any other path and for `.gz` files.
std::optional<KubernetesLabels> kubernetes_labels(std::string_view path);
// Prefers the resolved target (it carries the pod UID), else the path as given.
std::optional<KubernetesLabels> kubernetes_labels(std::string_view path, std::string_view resolved);

}  // namespace logship
