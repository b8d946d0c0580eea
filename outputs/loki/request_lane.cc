#include "outputs/loki/request_lane.h"

#include <algorithm>
#include <random>
#include <string>

#include "agent/thread_name.h"
#include "outputs/loki/backoff.h"
#include "outputs/loki/response_classifier.h"

namespace logship {

using Clock = std::chrono::steady_clock;
// A request passes batch_bytes by at most one entry; typical lines fit in this slack.
constexpr size_t kLineSlack = 64 * 1024;

void RetryGate::hold_until(Clock::time_point when) {
  std::lock_guard lock(mutex_);
  if (when > not_before_) not_before_ = when;
  changed_.notify_all();
}

bool RetryGate::wait_open(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (Clock::now() < not_before_) {
    const auto until = not_before_;
    changed_.wait_until(lock, stop, until, [&] { return not_before_ != until; });
    if (stop.stop_requested()) return false;
  }
  return !stop.stop_requested();
}

namespace {

MemoryLease empty_lease(MemoryBudget* budget) {
  return budget != nullptr ? budget->take_now(0) : MemoryLease();
}

}  // namespace

RequestLane::Request::Request(const LaneShared& shared)
    : builder(shared.config.encoding, static_cast<size_t>(shared.config.batch_bytes) + kLineSlack),
      charged(empty_lease(shared.budget)) {}

uint64_t RequestLane::Request::buffer_bytes() const {
  return builder.buffer_bytes() + origins.capacity() * sizeof(EntryOrigin);
}

RequestLane::RequestLane(LaneShared shared, std::unique_ptr<HttpTransport> transport, uint64_t seed)
    : shared_(shared),
      transport_(std::move(transport)),
      seed_(seed),
      open_(shared),
      body_charged_(empty_lease(shared.budget)),
      thread_([this](std::stop_token stop) {
        name_this_thread("ls-loki-lane");
        run(stop);
      }) {}

RequestLane::~RequestLane() {
  thread_.request_stop();
  // jthread joins in its destructor, which runs before the other members are destroyed.
}

bool RequestLane::append(std::unique_lock<std::mutex>& lock,
                         const std::shared_ptr<PendingBatch>& batch, const Record& record,
                         uint32_t stream_id, const StreamLabels& labels, int64_t timestamp_ns,
                         const std::stop_token& stop) {
  if (open_.builder.empty()) {
    open_.opened = Clock::now();
    work_.notify_one();  // starts the linger clock in the lane thread
  }
  if (open_.batches.empty() || open_.batches.back() != batch) {
    batch->add_part();
    open_.batches.push_back(batch);
  }
  open_.builder.add(stream_id, labels, timestamp_ns, batch->batch().line(record));
  open_.origins.push_back({static_cast<uint32_t>(open_.batches.size() - 1), &record});
  open_.charged.resize(open_.buffer_bytes());
  if (open_.builder.bytes() < shared_.config.batch_bytes) return true;
  // Full: seal it, waiting while the previous sealed request has not been taken yet.
  if (!room_.wait(lock, stop, [&] { return sealed_.empty(); })) return false;
  sealed_.push_back(std::exchange(open_, fresh_request()));
  work_.notify_one();
  return true;
}

void RequestLane::flush() {
  std::lock_guard lock(mutex_);
  flushing_ = true;
  work_.notify_one();
}

bool RequestLane::next_request(std::stop_token stop, Request& out) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stop.stop_requested()) return false;
    if (!sealed_.empty()) {
      out = std::move(sealed_.front());
      sealed_.pop_front();
      room_.notify_all();
      return true;
    }
    if (!open_.builder.empty()) {
      const auto due = open_.opened + linger();
      if (flushing_ || Clock::now() >= due) {
        out = std::exchange(open_, fresh_request());
        return true;
      }
      work_.wait_until(lock, stop, due, [&] { return !sealed_.empty() || flushing_; });
    } else {
      work_.wait(lock, stop, [&] { return !sealed_.empty() || !open_.builder.empty(); });
    }
  }
}

std::chrono::steady_clock::duration RequestLane::linger() const {
  const bool tight = shared_.budget != nullptr && shared_.budget->tight();
  return tight ? shared_.config.linger / 10 : shared_.config.linger;
}

RequestLane::Request RequestLane::fresh_request() {
  if (spares_.empty()) return Request(shared_);
  Request request = std::move(spares_.back());
  spares_.pop_back();
  return request;
}

void RequestLane::run(std::stop_token stop) {
  Request request(shared_);
  while (next_request(stop, request)) {
    deliver(request, stop);
    // Drops parts abandoned on shutdown; keeps the buffers for a later request.
    request.batches.clear();
    request.origins.clear();
    request.builder.clear();
    request.charged.resize(request.buffer_bytes());
    std::lock_guard lock(mutex_);
    // Open, sealed and in flight: a lane needs three; one spare keeps that allocation-free.
    if (spares_.empty()) spares_.push_back(std::move(request));
  }
}

void RequestLane::finish(Request& request) {
  std::vector<Rejection> rejections;
  for (uint32_t index = 0; index < request.batches.size(); ++index) {
    rejections.clear();
    for (const RefusedEntry& refused : refused_) {
      const EntryOrigin& origin = request.origins[refused.entry];
      if (origin.batch != index) continue;
      auto same = std::find_if(rejections.begin(), rejections.end(),
                               [&](const Rejection& r) { return r.reason == refused.reason; });
      if (same == rejections.end()) {
        rejections.push_back({std::string(refused.reason), origin.record->lines});
      } else {
        same->lines += origin.record->lines;
      }
    }
    request.batches[index]->finish_part(rejections);
  }
  request.batches.clear();
}

bool RequestLane::pause(std::chrono::milliseconds delay, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any never;
  std::unique_lock lock(mutex);
  never.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

void RequestLane::deliver(Request& request, std::stop_token stop) {
  refused_.clear();
  ranges_.assign(1, {0, static_cast<uint32_t>(request.builder.entries())});
  while (!ranges_.empty()) {
    const EntryRange range = ranges_.back();
    bool stopped = false;
    const std::optional<Refusal> refusal = push(request, range, stop, stopped);
    if (stopped) return;
    ranges_.pop_back();
    if (!refusal) continue;
    if (range.end - range.first == 1) {
      refuse(request, range.first, *refusal);
      continue;
    }
    // Halves, the first pushed first: a stream's entries keep their order.
    const uint32_t middle = range.first + (range.end - range.first) / 2;
    ranges_.push_back({middle, range.end});
    ranges_.push_back({range.first, middle});
  }
  finish(request);
}

void RequestLane::refuse(const Request& request, uint32_t entry, const Refusal& refusal) {
  const std::string_view reason = rejection_reason(refusal.status, refusal.error);
  refused_.push_back({entry, reason});
  shared_.stats.records_rejected.fetch_add(1, std::memory_order_relaxed);
  if (!shared_.events.log) return;
  const EntryOrigin& origin = request.origins[entry];
  shared_.events.log({.kind = LokiEvent::Kind::kRejected,
                      .status = refusal.status,
                      .error = refusal.error,
                      .entries = 1,
                      .reason = reason,
                      .path = request.batches[origin.batch]->batch().source().path,
                      .offset = origin.record->file_offset});
}

std::optional<RequestLane::Refusal> RequestLane::push(const Request& request, EntryRange range,
                                                      std::stop_token stop, bool& stopped) {
  const uint64_t entries = range.end - range.first;
  request.builder.encode(body_, range.first, range.end);
  body_charged_.resize(body_.capacity());
  const std::string& body = body_;
  std::minstd_rand random(static_cast<uint32_t>(seed_++));
  Backoff backoff(shared_.config.min_backoff, shared_.config.max_backoff,
                  [&random] { return std::uniform_real_distribution<double>(0.0, 1.0)(random); });
  LokiStats& stats = shared_.stats;
  const LokiEvents& events = shared_.events;
  for (;;) {
    if (!shared_.gate.wait_open(stop)) break;
    stats.in_flight.fetch_add(1, std::memory_order_relaxed);
    const auto sent_at = Clock::now();
    auto response = transport_->post(body, stop);
    stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
    stats.requests.fetch_add(1, std::memory_order_relaxed);
    if (!response && response.error().code == ErrorCode::kShutdown) break;
    if (events.latency) {
      events.latency(std::chrono::duration<double>(Clock::now() - sent_at).count());
    }
    std::optional<int> status;
    std::optional<std::chrono::milliseconds> retry_after;
    if (response) {
      status = response->status;
      if (response->retry_after) {
        retry_after = parse_retry_after(*response->retry_after, std::chrono::system_clock::now());
      }
    }
    const std::string error =
        response ? response->body.substr(0, response->body.find('\n')) : response.error().message;
    const PushOutcome outcome = classify_push_response(status, retry_after);
    if (outcome.verdict != PushVerdict::kRetryable) {
      // Loki answered about the entries: the endpoint works.
      if (failing_ && events.log) events.log({.kind = LokiEvent::Kind::kRecovered});
      failing_ = false;
      stats.up.store(true, std::memory_order_relaxed);
      stats.last_success_unix_ns.store(unix_now_ns(), std::memory_order_relaxed);
    }
    if (outcome.verdict == PushVerdict::kDelivered) {
      stats.records_delivered.fetch_add(entries, std::memory_order_relaxed);
      stats.body_bytes_sent.fetch_add(body.size(), std::memory_order_relaxed);
      return std::nullopt;
    }
    if (outcome.verdict == PushVerdict::kRefused) {
      stats.requests_rejected.fetch_add(1, std::memory_order_relaxed);
      return Refusal{.status = *status, .error = error};
    }
    stats.retries.fetch_add(1, std::memory_order_relaxed);
    stats.up.store(false, std::memory_order_relaxed);
    const auto delay = outcome.retry_after ? *outcome.retry_after : backoff.next();
    if (outcome.retry_after) shared_.gate.hold_until(Clock::now() + *outcome.retry_after);
    if (events.log) {
      events.log({.kind = outcome.endpoint_fault ? LokiEvent::Kind::kEndpointFault
                                                 : LokiEvent::Kind::kRetrying,
                  .status = status,
                  .error = error,
                  .entries = entries,
                  .delay = delay});
    }
    failing_ = true;
    if (!pause(delay, stop)) break;
  }
  stopped = true;
  return std::nullopt;
}

}  // namespace logship
