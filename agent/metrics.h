#pragma once
// Metrics: counters, gauges and histograms grouped in families with a fixed set of label
// names, rendered in the Prometheus text exposition format (version 0.0.4).
// Owner: the agent creates one MetricsRegistry and hands families to the components.
// Threads: any. Updates are lock-free atomics on a series the caller keeps; looking up
// a series (`with`) and rendering take the family's mutex, so look up once, not per
// record. Cardinality is bounded: past a family's `max_series`, new label sets share one
// series whose every label value is kOverflowLabel, so per-file metrics cannot grow
// without limit (and `remove` drops the series of a file that is gone).
// Names follow Prometheus conventions, checked at registration: `logship_` prefix,
// counters end in `_total`, units are base units (bytes, seconds).

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/result.h"

namespace logship {

inline constexpr std::string_view kOverflowLabel = "_overflow";
inline constexpr size_t kDefaultMaxSeries = 1000;
// Request latencies in seconds, 5 ms to 10 s.
inline const std::vector<double> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                    0.5,   1,    2.5,   5,    10};

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets by inclusive upper bound (`le`); the +Inf bucket is
// implicit. Bounds are fixed at registration. NaN observations are ignored.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0};
};

struct MetricInfo {
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  size_t max_series = kDefaultMaxSeries;
  std::vector<double> bounds;  // histograms only
};

class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  virtual void render(std::string& out) const = 0;
};

// All series of one metric name. Series are shared_ptr because the registry and the
// component updating a series both hold it, and `remove` may drop the registry's share
// while the component still updates (unseen) until it lets go.
template <typename Metric>
class MetricFamily final : public FamilyBase {
 public:
  explicit MetricFamily(MetricInfo info) : info_(std::move(info)) {}
  // The series for these label values (in label-name order); created on first use. A
  // wrong number of values, or a new set past max_series, yields the overflow series.
  std::shared_ptr<Metric> with(std::initializer_list<std::string_view> values);
  std::shared_ptr<Metric> with(const std::vector<std::string>& values);
  void remove(const std::vector<std::string>& values);
  size_t size() const;
  void render(std::string& out) const override;

 private:
  std::shared_ptr<Metric> make() const;

  MetricInfo info_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::shared_ptr<Metric>> series_;  // up to max_series
  std::shared_ptr<Metric> overflow_;  // created on the first label set past the cap
};

extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
extern template class MetricFamily<Histogram>;

class MetricsRegistry {
 public:
  // Registering a name twice is an error, as is a name or label name Prometheus would
  // refuse, a counter without `_total`, or histogram bounds that do not increase.
  Result<MetricFamily<Counter>*> counter(MetricInfo info);
  Result<MetricFamily<Gauge>*> gauge(MetricInfo info);
  Result<MetricFamily<Histogram>*> histogram(MetricInfo info);
  // Runs at the start of every render, on the rendering thread: for values read at scrape
  // time (file lag, budget use) rather than updated as they change. It may update series
  // but must not call the registry (it runs under the registry's lock).
  void on_render(std::function<void()> collect);
  // The whole exposition: families in registration order, series sorted by labels.
  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  Result<void> check(const MetricInfo& info, Kind kind) const;
  template <typename Metric>
  Result<MetricFamily<Metric>*> add(MetricInfo info, Kind kind);

  mutable std::mutex mutex_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::vector<std::function<void()>> collectors_;
};

// `logship_build_info{version="..."} 1`.
Result<void> register_build_info(MetricsRegistry& registry, std::string_view version);

// Prometheus syntax, exposed for tests: [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*.
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace logship
