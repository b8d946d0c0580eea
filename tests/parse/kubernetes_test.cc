#include "inputs/parse/kubernetes.h"

#include <doctest/doctest.h>

namespace logship {
namespace {

TEST_CASE("labels from a /var/log/pods path, including kubelet-rotated files") {
  for (const char* path :
       {"/var/log/pods/shop_cart-7d9f-abcde_0d1f-22aa-4b/app/0.log",
        "/var/log/pods/shop_cart-7d9f-abcde_0d1f-22aa-4b/app/12.log.20240101-120000"}) {
    CAPTURE(path);
    auto labels = kubernetes_labels(path);
    REQUIRE(labels);
    CHECK(labels->namespace_name == "shop");
    CHECK(labels->pod == "cart-7d9f-abcde");
    CHECK(labels->pod_uid == "0d1f-22aa-4b");
    CHECK(labels->container == "app");
  }
}

TEST_CASE("labels from a /var/log/containers name, and the UID through its target") {
  const char* link =
      "/var/log/containers/cart-7d9f-abcde_shop_app-"
      "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b.log";
  auto labels = kubernetes_labels(link);
  REQUIRE(labels);
  CHECK(labels->namespace_name == "shop");
  CHECK(labels->pod == "cart-7d9f-abcde");
  CHECK(labels->container == "app");
  CHECK(labels->pod_uid.empty());
  CHECK(labels->to_labels().size() == 3);

  auto resolved = kubernetes_labels(link, "/var/log/pods/shop_cart-7d9f-abcde_u1/app/0.log");
  REQUIRE(resolved);
  CHECK(resolved->pod_uid == "u1");
  CHECK(resolved->to_labels() ==
        std::vector<std::pair<std::string, std::string>>{{"namespace", "shop"},
                                                         {"pod", "cart-7d9f-abcde"},
                                                         {"pod_uid", "u1"},
                                                         {"container", "app"}});
}

TEST_CASE("no labels for other paths or gzipped rotations") {
  for (const char* path : {"/var/log/syslog", "/var/log/pods/shop_cart_u1/app/0.log.2024.gz",
                           "/var/log/pods/shop_cart/app/0.log", "/var/log/pods/a_b_c_d/app/0.log",
                           "/var/log/pods/a_b_c/app/x.log", "/var/log/containers/nounderscores.log",
                           "/var/log/pods/a_b_c/0.log", "pods/a_b_c/app/0.log.gz", ""}) {
    CAPTURE(path);
    CHECK_FALSE(kubernetes_labels(path));
  }
  CHECK(kubernetes_labels("pods/a_b_c/app/0.log"));
}

}  // namespace
}  // namespace logship
