#include "outputs/loki/loki_output.h"

#include <random>

#include "outputs/loki/bearer_token.h"
#include "outputs/loki/http_url.h"

namespace logship {
namespace {

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

LokiCounts& LokiCounts::operator+=(const LokiCounts& more) {
  requests += more.requests;
  requests_rejected += more.requests_rejected;
  records_delivered += more.records_delivered;
  body_bytes_sent += more.body_bytes_sent;
  records_over_stream_limit += more.records_over_stream_limit;
  streams += more.streams;
  return *this;
}

LokiCounts LokiStats::counts() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return {.requests = requests.load(kRelaxed),
          .requests_rejected = requests_rejected.load(kRelaxed),
          .records_delivered = records_delivered.load(kRelaxed),
          .body_bytes_sent = body_bytes_sent.load(kRelaxed),
          .records_over_stream_limit = records_over_stream_limit.load(kRelaxed),
          .streams = streams.load(kRelaxed)};
}

Result<HttpClientOptions> loki_client_options(const LokiOutputConfig& config) {
  auto url = parse_http_url(config.url);
  if (!url) return std::unexpected(url.error());
  HttpClientOptions options;
  options.url = std::move(*url);
  options.ca_file = config.ca_file;
  options.timeout = config.request_timeout;
  options.headers.emplace_back("Content-Type", config.encoding == LokiEncoding::kProtobuf
                                                   ? "application/x-protobuf"
                                                   : "application/json");
  options.headers.emplace_back("User-Agent", "logship");
  if (!config.tenant.empty()) options.headers.emplace_back("X-Scope-OrgID", config.tenant);
  if (!config.basic_auth_user.empty()) {
    options.headers.emplace_back("Authorization", "Basic " + base64(config.basic_auth_user + ":" +
                                                                    config.basic_auth_password));
  }
  if (!config.bearer_token_file.empty()) {
    // Read once here so that a missing token is a config error at start.
    BearerToken token(config.bearer_token_file);
    if (auto read = token.refresh(); !read) return std::unexpected(read.error());
    options.bearer_token_file = config.bearer_token_file;
  }
  return options;
}

Result<std::unique_ptr<LokiOutput>> LokiOutput::create(LokiOutputConfig config,
                                                       std::shared_ptr<LokiStats> stats,
                                                       LokiEvents events, MemoryBudget* budget) {
  auto templates = compile_label_templates({config.labels.begin(), config.labels.end()});
  if (!templates) return std::unexpected(templates.error());
  auto options = loki_client_options(config);
  if (!options) return std::unexpected(options.error());
  auto factory = HttpClientFactory::create(std::move(*options));
  if (!factory) return std::unexpected(factory.error());
  return std::make_unique<LokiOutput>(
      std::move(config), std::move(*templates),
      [factory = std::move(*factory)] { return factory.make_transport(); }, std::move(stats),
      std::move(events), budget);
}

LokiOutput::LokiOutput(LokiOutputConfig config, std::vector<LabelTemplate> templates,
                       const TransportFactory& transports, std::shared_ptr<LokiStats> stats,
                       LokiEvents events, MemoryBudget* budget)
    : config_(std::move(config)),
      stats_(stats ? std::move(stats) : std::make_shared<LokiStats>()),
      events_(std::move(events)),
      router_(std::move(templates), static_cast<uint64_t>(config_.max_streams),
              static_cast<uint32_t>(config_.max_concurrent_requests)),
      transports_(transports),
      budget_(budget),
      lanes_(static_cast<size_t>(config_.max_concurrent_requests)) {}

RequestLane& LokiOutput::started_lane(uint32_t index) {
  std::unique_ptr<RequestLane>& slot = lanes_[index];
  if (!slot) {
    slot = std::make_unique<RequestLane>(LaneShared{config_, *stats_, gate_, events_, budget_},
                                         transports_(), std::random_device()());
  }
  return *slot;
}

LokiOutput::~LokiOutput() {
  lanes_.clear();  // stop and join the lanes while everything they use is alive
}

Result<void> LokiOutput::send(Batch batch, std::stop_token stop) {
  if (batch.records().empty()) {
    batch.settle(Fate::kDelivered);
    return {};
  }
  auto pending = std::make_shared<PendingBatch>(std::move(batch), unsettled_);
  const Batch& records = pending->batch();
  router_.start_batch(records);
  const uint64_t over_limit_before = router_.records_over_stream_limit();
  RequestLane* held_lane = nullptr;
  std::unique_lock<std::mutex> held;
  for (const Record& record : records.records()) {
    Stream& stream = router_.route(records, record);
    RequestLane* lane = &started_lane(stream.lane);
    if (lane != held_lane) {
      if (held.owns_lock()) held.unlock();
      held = lane->lock();
      held_lane = lane;
    }
    if (!lane->append(held, pending, record, stream.id, stream.labels,
                      stream.order_timestamp(record.timestamp_ns), stop)) {
      // Stopping: our part stays unfinished, so the batch ends up dropped, never delivered.
      return make_error(ErrorCode::kShutdown, "loki output: stopped while sending");
    }
  }
  if (held.owns_lock()) held.unlock();
  const uint64_t over_limit = router_.records_over_stream_limit();
  stats_->records_over_stream_limit.store(over_limit, std::memory_order_relaxed);
  if (over_limit > over_limit_before && events_.log) {
    events_.log(
        {.kind = LokiEvent::Kind::kOverStreamLimit, .entries = over_limit - over_limit_before});
  }
  stats_->streams.store(router_.stream_count(), std::memory_order_relaxed);
  pending->finish_part();
  return {};
}

OutputCounters LokiOutput::counters() const {
  return {.retries = stats_->retries.load(std::memory_order_relaxed),
          .rejected_records = stats_->records_rejected.load(std::memory_order_relaxed),
          .in_flight = stats_->in_flight.load(std::memory_order_relaxed),
          .up = stats_->up.load(std::memory_order_relaxed),
          .last_success_unix_ns = stats_->last_success_unix_ns.load(std::memory_order_relaxed)};
}

bool LokiOutput::drain(std::chrono::steady_clock::time_point deadline) {
  for (auto& started : lanes_) {
    if (started) started->flush();
  }
  return unsettled_.wait_for_zero(deadline);
}

}  // namespace logship
