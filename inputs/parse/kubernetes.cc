#include "inputs/parse/kubernetes.h"

#include <array>

namespace logship {
namespace {

// Splits `text` on '_' into exactly N non-empty parts.
template <size_t N>
std::optional<std::array<std::string_view, N>> split_underscores(std::string_view text) {
  std::array<std::string_view, N> parts;
  for (size_t i = 0; i < N; ++i) {
    const size_t end = i + 1 == N ? text.size() : text.find('_');
    if (end == std::string_view::npos || end == 0) return std::nullopt;
    parts[i] = text.substr(0, end);
    text.remove_prefix(i + 1 == N ? text.size() : end + 1);
  }
  if (parts[N - 1].find('_') != std::string_view::npos) return std::nullopt;
  return parts;
}

// `<n>.log` or a kubelet rotation `<n>.log.<timestamp>`, never a `.gz`.
bool is_pod_log_name(std::string_view name) {
  if (name.ends_with(".gz")) return false;
  const size_t dot = name.find(".log");
  if (dot == 0 || dot == std::string_view::npos) return false;
  for (char c : name.substr(0, dot)) {
    if (c < '0' || c > '9') return false;
  }
  return dot + 4 == name.size() || name[dot + 4] == '.';
}

std::optional<KubernetesLabels> from_pods_path(std::string_view path) {
  // .../pods/<ns>_<pod>_<uid>/<container>/<file>
  const size_t file_slash = path.rfind('/');
  if (file_slash == std::string_view::npos || file_slash == 0) return std::nullopt;
  const size_t container_slash = path.rfind('/', file_slash - 1);
  if (container_slash == std::string_view::npos || container_slash == 0) return std::nullopt;
  const size_t pod_slash = path.rfind('/', container_slash - 1);
  if (pod_slash == std::string_view::npos) return std::nullopt;
  const std::string_view root = path.substr(0, pod_slash);
  if (!root.ends_with("/pods") && root != "pods") return std::nullopt;
  if (!is_pod_log_name(path.substr(file_slash + 1))) return std::nullopt;
  const std::string_view container =
      path.substr(container_slash + 1, file_slash - container_slash - 1);
  const auto parts =
      split_underscores<3>(path.substr(pod_slash + 1, container_slash - pod_slash - 1));
  if (!parts || container.empty()) return std::nullopt;
  return KubernetesLabels{std::string((*parts)[0]), std::string((*parts)[1]),
                          std::string((*parts)[2]), std::string(container)};
}

std::optional<KubernetesLabels> from_containers_path(std::string_view path) {
  // .../containers/<pod>_<ns>_<container>-<id>.log
  const size_t slash = path.rfind('/');
  const std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash);
  if (!dir.ends_with("containers")) return std::nullopt;
  std::string_view name = path.substr(slash + 1);
  if (!name.ends_with(".log")) return std::nullopt;
  name.remove_suffix(4);
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto parts = split_underscores<3>(name.substr(0, dash));
  if (!parts) return std::nullopt;
  return KubernetesLabels{
      std::string((*parts)[1]), std::string((*parts)[0]), {}, std::string((*parts)[2])};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> KubernetesLabels::to_labels() const {
  std::vector<std::pair<std::string, std::string>> labels = {{"namespace", namespace_name},
                                                             {"pod", pod}};
  if (!pod_uid.empty()) labels.emplace_back("pod_uid", pod_uid);
  labels.emplace_back("container", container);
  return labels;
}

std::optional<KubernetesLabels> kubernetes_labels(std::string_view path) {
  if (auto labels = from_pods_path(path)) return labels;
  return from_containers_path(path);
}

std::optional<KubernetesLabels> kubernetes_labels(std::string_view path,
                                                  std::string_view resolved) {
  if (auto labels = kubernetes_labels(resolved)) return labels;
  return kubernetes_labels(path);
}

}  // namespace logship
