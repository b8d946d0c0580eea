#pragma once
// LokiOutput: ships batches to Loki's push API. send() (the pipeline's output thread)
// routes each record to its stream (StreamRouter), gives it a per-stream increasing
// timestamp and appends it to the open request of the stream's lane; lanes send and
// retry on their own threads (RequestLane), each started when a stream first needs it. A
// batch is settled once every request that carries part of it is delivered (kDelivered) or
// refused for good (kRejected). Retries have no time limit: a down Loki blocks send(), which
// pauses the inputs.
// Thread: send()/drain() from the output thread; destroyed after the last of them.

#include <functional>
#include <memory>
#include <vector>

#include "outputs/loki/http_transport.h"
#include "outputs/loki/labels.h"
#include "outputs/loki/loki_config.h"
#include "outputs/loki/loki_stats.h"
#include "outputs/loki/request_lane.h"
#include "outputs/loki/stream_router.h"
#include "outputs/output.h"

namespace logship {

class LokiOutput final : public Output {
 public:
  // Makes one transport per lane.
  using TransportFactory = std::function<std::unique_ptr<HttpTransport>()>;

  // The real output: validates labels, reads the bearer token, sets up TLS. Request
  // buffers are charged to `budget` (null: not charged), which must outlive the output.
  static Result<std::unique_ptr<LokiOutput>> create(LokiOutputConfig config,
                                                    std::shared_ptr<LokiStats> stats,
                                                    LokiEvents events, MemoryBudget* budget);
  // With any transport (tests); `templates` from compile_label_templates().
  LokiOutput(LokiOutputConfig config, std::vector<LabelTemplate> templates,
             const TransportFactory& transports, std::shared_ptr<LokiStats> stats,
             LokiEvents events, MemoryBudget* budget = nullptr);
  ~LokiOutput() override;

  Result<void> send(Batch batch, std::stop_token stop) override;
  bool drain(std::chrono::steady_clock::time_point deadline) override;

  OutputCounters counters() const override;
  const LokiStats& stats() const { return *stats_; }

 private:
  // Lane `index`, started on first use: an output of one stream runs one lane, not
  // `max_concurrent_requests` idle threads and their stacks.
  RequestLane& started_lane(uint32_t index);

  const LokiOutputConfig config_;
  // Shared with the agent, which reads the counters after the output is gone.
  std::shared_ptr<LokiStats> stats_;
  const LokiEvents events_;
  UnsettledCount unsettled_;
  RetryGate gate_;
  StreamRouter router_;
  const TransportFactory transports_;
  MemoryBudget* const budget_;
  std::vector<std::unique_ptr<RequestLane>> lanes_;  // null until used; last: stopped first
};

// The request headers for a config (Content-Type, auth, tenant). The bearer token is
// read from its file here.
Result<HttpClientOptions> loki_client_options(const LokiOutputConfig& config);

}  // namespace logship
