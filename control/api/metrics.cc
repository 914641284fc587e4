#include "control/api/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/absl_compat.h"

namespace berth::control {

void MetricHeader(std::string* out, std::string_view name, std::string_view type,
                  std::string_view help) {
  absl::StrAppend(out, "# HELP ", Absl(name), " ", Absl(help), "\n# TYPE ", Absl(name), " ",
                  Absl(type), "\n");
}

std::string MetricNumber(double v) { return absl::StrFormat("%.9g", v); }

std::string MetricLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Histogram::Observe(absl::Duration d) {
  double seconds = absl::ToDoubleSeconds(d);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      ++buckets_[i];
      break;
    }
  }
  ++count_;
  sum_ += seconds;
}

void Histogram::Render(std::string_view name, std::string_view labels, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i];
    absl::StrAppend(out, Absl(name), "_bucket{", Absl(labels), "le=\"", MetricNumber(kBounds[i]),
                    "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, Absl(name), "_bucket{", Absl(labels), "le=\"+Inf\"} ", count_, "\n");
  std::string bare(labels);
  if (!bare.empty()) {
    bare.pop_back();  // the trailing ','
    bare = absl::StrCat("{", bare, "}");
  }
  absl::StrAppend(out, Absl(name), "_sum", bare, " ", MetricNumber(sum_), "\n");
  absl::StrAppend(out, Absl(name), "_count", bare, " ", count_, "\n");
}

void ApiMetrics::RecordRequest(std::string_view operation, std::string_view error_type,
                               absl::Duration latency) {
  ++requests_[{std::string(operation), error_type.empty() ? "none" : std::string(error_type)}];
  auto it = latency_.find(operation);
  if (it == latency_.end()) {
    it = latency_.emplace(std::string(operation), Histogram()).first;
  }
  it->second.Observe(latency);
}

void ApiMetrics::RecordCommit(size_t mutations, absl::Duration latency, bool ok) {
  ++(ok ? commits_ok_ : commits_failed_);
  mutations_ += mutations;
  commit_latency_.Observe(latency);
}

uint64_t ApiMetrics::requests(std::string_view operation, std::string_view error_type) const {
  auto it = requests_.find(
      {std::string(operation), error_type.empty() ? "none" : std::string(error_type)});
  return it == requests_.end() ? 0 : it->second;
}

std::string ApiMetrics::Render(const Store::Stats& store, size_t responses_waiting,
                               bool writes_failed) const {
  std::string out;
  MetricHeader(&out, "berth_api_requests_total", "counter",
               "ECS API requests answered, by operation and error type (none = success).");
  for (const auto& [key, count] : requests_) {
    absl::StrAppend(&out, "berth_api_requests_total{operation=\"", key.first, "\",error=\"",
                    key.second, "\"} ", count, "\n");
  }
  MetricHeader(&out, "berth_api_request_duration_seconds", "histogram",
               "Time from a request's arrival to its response, durable commit included.");
  for (const auto& [operation, histogram] : latency_) {
    histogram.Render("berth_api_request_duration_seconds",
                     absl::StrCat("operation=\"", operation, "\","), &out);
  }
  MetricHeader(&out, "berth_store_commits_total", "counter", "Store commits completed, by result.");
  absl::StrAppend(&out, "berth_store_commits_total{result=\"ok\"} ", commits_ok_, "\n");
  absl::StrAppend(&out, "berth_store_commits_total{result=\"error\"} ", commits_failed_, "\n");
  MetricHeader(&out, "berth_store_commit_mutations_total", "counter",
               "Records written or deleted.");
  absl::StrAppend(&out, "berth_store_commit_mutations_total ", mutations_, "\n");
  MetricHeader(&out, "berth_store_commit_duration_seconds", "histogram",
               "Time from a commit's submission to its durable completion.");
  commit_latency_.Render("berth_store_commit_duration_seconds", "", &out);
  MetricHeader(&out, "berth_store_transactions_total", "counter",
               "Store transactions (fsyncs); fewer than commits when group commit batches them.");
  absl::StrAppend(&out, "berth_store_transactions_total ", store.transactions, "\n");
  MetricHeader(&out, "berth_store_bytes_total", "counter",
               "Key and value bytes of committed puts.");
  absl::StrAppend(&out, "berth_store_bytes_total ", store.bytes, "\n");
  MetricHeader(
      &out, "berth_store_batches_queued", "gauge",
      "Commits waiting for the store's writer, and commits written but not yet completed.");
  absl::StrAppend(&out, "berth_store_batches_queued{state=\"waiting\"} ", store.queued, "\n");
  absl::StrAppend(&out, "berth_store_batches_queued{state=\"writing\"} ", store.pending, "\n");
  MetricHeader(&out, "berth_store_max_batches_per_transaction", "gauge",
               "The largest group of commits one transaction has carried.");
  absl::StrAppend(&out, "berth_store_max_batches_per_transaction ", store.max_batches_per_txn,
                  "\n");
  MetricHeader(&out, "berth_store_transaction_seconds", "summary",
               "A transaction from BEGIN to durable COMMIT, over the store's recent transactions.");
  absl::StrAppend(&out, "berth_store_transaction_seconds{quantile=\"0.5\"} ",
                  MetricNumber(store.txn_p50_us / 1e6), "\n");
  absl::StrAppend(&out, "berth_store_transaction_seconds{quantile=\"0.99\"} ",
                  MetricNumber(store.txn_p99_us / 1e6), "\n");
  MetricHeader(&out, "berth_api_responses_waiting", "gauge",
               "Responses held until the commits queued before them are durable.");
  absl::StrAppend(&out, "berth_api_responses_waiting ", responses_waiting, "\n");
  MetricHeader(&out, "berth_api_writes_failed", "gauge",
               "1 once a store commit failed: berth-control answers ServerException and restarts.");
  absl::StrAppend(&out, "berth_api_writes_failed ", writes_failed ? 1 : 0, "\n");
  return out;
}

void RenderAgentChannelMetrics(const agents::AgentChannelStats& stats, size_t connected,
                               std::string* out) {
  struct Counter {
    std::string_view name;
    uint64_t value;
    std::string_view help;
  };
  const Counter counters[] = {
      {"enqueued", stats.enqueued, "Agent messages enqueued (staged ones included)."},
      {"delivered", stats.delivered, "Agent messages in poll answers, redeliveries included."},
      {"redelivered", stats.redelivered, "Agent messages answered again after an earlier answer."},
      {"rejected_full", stats.rejected_full,
       "Agent messages refused because the instance's outbox was full."},
      {"superseded", stats.superseded, "Held polls answered superseded by a newer poll."},
      {"heartbeats", stats.heartbeats, "Polls answered heartbeat after the poll timeout."},
      {"reregister", stats.reregister, "Polls answered reregister (instance unknown)."},
      {"new_epochs", stats.new_epochs, "Agent sessions started (a new sessionId)."},
      {"ack_ahead", stats.ack_ahead, "Acks past anything delivered (outbox state was lost)."},
      {"disconnects", stats.disconnects, "Instances that became agentConnected=false."},
      {"reconnects", stats.reconnects, "Instances that became agentConnected=true again."},
  };
  for (const Counter& c : counters) {
    std::string name = absl::StrCat("berth_agent_channel_", Absl(c.name), "_total");
    MetricHeader(out, name, "counter", c.help);
    absl::StrAppend(out, name, " ", c.value, "\n");
  }
  MetricHeader(out, "berth_agent_channel_connected_instances", "gauge",
               "Registered container instances whose agent is connected.");
  absl::StrAppend(out, "berth_agent_channel_connected_instances ", connected, "\n");
}

}  // namespace berth::control
