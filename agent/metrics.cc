#include "agent/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>

namespace logship {
namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_header(std::string& out, const MetricInfo& info, std::string_view type) {
  out.append("# HELP ").append(info.name).append(" ");
  append_escaped(out, info.help, false);
  out.append("\n# TYPE ").append(info.name).append(" ").append(type).append("\n");
}

// `{a="x",b="y"` without the closing brace, so a histogram can add `le`; nothing when
// there are no labels and no extra label will follow.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values) {
  for (size_t i = 0; i < names.size(); ++i) {
    out.append(i == 0 ? "{" : ",").append(names[i]).append("=\"");
    append_escaped(out, values[i], true);
    out += '"';
  }
}

void append_sample(std::string& out, std::string_view name, const MetricInfo& info,
                   const std::vector<std::string>& values, auto value) {
  out.append(name);
  append_labels(out, info.label_names, values);
  if (!info.label_names.empty()) out += '}';
  out += ' ';
  append_number(out, value);
  out += '\n';
}

void render_series(std::string& out, const MetricInfo& info, const std::vector<std::string>& values,
                   const Counter& counter) {
  append_sample(out, info.name, info, values, counter.value());
}

void render_series(std::string& out, const MetricInfo& info, const std::vector<std::string>& values,
                   const Gauge& gauge) {
  append_sample(out, info.name, info, values, gauge.value());
}

void render_series(std::string& out, const MetricInfo& info, const std::vector<std::string>& values,
                   const Histogram& histogram) {
  const Histogram::Snapshot snap = histogram.snapshot();
  const auto& bounds = histogram.bounds();
  for (size_t i = 0; i < snap.cumulative.size(); ++i) {
    out.append(info.name).append("_bucket");
    append_labels(out, info.label_names, values);
    out.append(info.label_names.empty() ? "{le=\"" : ",le=\"");
    append_number(out, i < bounds.size() ? bounds[i] : HUGE_VAL);
    out.append("\"} ");
    append_number(out, snap.cumulative[i]);
    out += '\n';
  }
  append_sample(out, info.name + "_sum", info, values, snap.sum);
  append_sample(out, info.name + "_count", info, values, snap.cumulative.back());
}

std::string_view type_name(const Counter*) { return "counter"; }
std::string_view type_name(const Gauge*) { return "gauge"; }
std::string_view type_name(const Histogram*) { return "histogram"; }

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':';
  });
}

bool valid_label_name(std::string_view name) {
  return valid_metric_name(name) && name.find(':') == std::string_view::npos;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;  // no bucket holds it, and it would poison the sum
  // The first bound >= v: `le` is inclusive.
  const auto it = std::ranges::lower_bound(bounds_, v);
  buckets_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  // Cumulative counts from one read of each bucket: monotonic, and +Inf is their total,
  // even while other threads observe.
  Snapshot snap;
  snap.cumulative.reserve(buckets_.size());
  uint64_t total = 0;
  for (const auto& bucket : buckets_) {
    total += bucket.load(std::memory_order_relaxed);
    snap.cumulative.push_back(total);
  }
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

template <typename Metric>
std::shared_ptr<Metric> MetricFamily<Metric>::make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_shared<Histogram>(info_.bounds);
  } else {
    return std::make_shared<Metric>();
  }
}

template <typename Metric>
std::shared_ptr<Metric> MetricFamily<Metric>::with(std::initializer_list<std::string_view> values) {
  return with(std::vector<std::string>(values.begin(), values.end()));
}

template <typename Metric>
std::shared_ptr<Metric> MetricFamily<Metric>::with(const std::vector<std::string>& values) {
  std::lock_guard lock(mutex_);
  if (values.size() == info_.label_names.size()) {
    if (auto it = series_.find(values); it != series_.end()) return it->second;
    if (series_.size() < info_.max_series) return series_.emplace(values, make()).first->second;
  }
  if (!overflow_) overflow_ = make();
  return overflow_;
}

template <typename Metric>
void MetricFamily<Metric>::remove(const std::vector<std::string>& values) {
  std::lock_guard lock(mutex_);
  series_.erase(values);
}

template <typename Metric>
size_t MetricFamily<Metric>::size() const {
  std::lock_guard lock(mutex_);
  return series_.size() + (overflow_ ? 1 : 0);
}

template <typename Metric>
void MetricFamily<Metric>::render(std::string& out) const {
  append_header(out, info_, type_name(static_cast<const Metric*>(nullptr)));
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : series_) render_series(out, info_, values, *metric);
  if (overflow_) {
    const std::vector<std::string> values(info_.label_names.size(), std::string(kOverflowLabel));
    render_series(out, info_, values, *overflow_);
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

Result<void> MetricsRegistry::check(const MetricInfo& info, Kind kind) const {
  auto fail = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidConfig, "metric '" + info.name + "': " + std::string(why));
  };
  if (!valid_metric_name(info.name) || !info.name.starts_with("logship_")) {
    return fail("a name must match [a-zA-Z_:][a-zA-Z0-9_:]* and start with logship_");
  }
  if ((kind == Kind::kCounter) != info.name.ends_with("_total")) {
    return fail("counters, and only counters, end in _total");
  }
  std::set<std::string_view> seen;
  for (const auto& label : info.label_names) {
    if (!valid_label_name(label) || label.starts_with("__")) return fail("bad label name");
    if (kind == Kind::kHistogram && label == "le") return fail("'le' is the bucket label");
    if (!seen.insert(label).second) return fail("duplicate label name");
  }
  if (kind == Kind::kHistogram) {
    const auto& b = info.bounds;
    if (b.empty() || !std::ranges::all_of(b, [](double v) { return std::isfinite(v); }) ||
        std::ranges::adjacent_find(b, std::greater_equal<>()) != b.end()) {
      return fail("bucket bounds must be finite and strictly increasing");
    }
  }
  if (std::ranges::find(names_, info.name) != names_.end()) return fail("registered twice");
  if (info.max_series == 0) return fail("max_series must be at least 1");
  return {};
}

template <typename Metric>
Result<MetricFamily<Metric>*> MetricsRegistry::add(MetricInfo info, Kind kind) {
  std::lock_guard lock(mutex_);
  if (auto ok = check(info, kind); !ok) return std::unexpected(ok.error());
  names_.push_back(info.name);
  auto family = std::make_unique<MetricFamily<Metric>>(std::move(info));
  auto* raw = family.get();
  families_.push_back(std::move(family));
  return raw;
}

Result<MetricFamily<Counter>*> MetricsRegistry::counter(MetricInfo info) {
  return add<Counter>(std::move(info), Kind::kCounter);
}

Result<MetricFamily<Gauge>*> MetricsRegistry::gauge(MetricInfo info) {
  return add<Gauge>(std::move(info), Kind::kGauge);
}

Result<MetricFamily<Histogram>*> MetricsRegistry::histogram(MetricInfo info) {
  return add<Histogram>(std::move(info), Kind::kHistogram);
}

void MetricsRegistry::on_render(std::function<void()> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  for (const auto& collect : collectors_) collect();
  std::string out;
  for (const auto& family : families_) family->render(out);
  return out;
}

Result<void> register_build_info(MetricsRegistry& registry, std::string_view version) {
  auto family = registry.gauge({.name = "logship_build_info",
                                .help = "Always 1; the labels describe the running build.",
                                .label_names = {"version"},
                                .max_series = 1});
  if (!family) return std::unexpected(family.error());
  (*family)->with({version})->set(1);
  return {};
}

}  // namespace logship
