#ifndef BERTH_AGENT_SESSION_REPORTER_H_
#define BERTH_AGENT_SESSION_REPORTER_H_

// Sends the persisted TaskChanges to berth-control (SubmitTaskStateChange),
// as Amazon's agent's event handler does (../shared/reference/ecs-agent.md
// §8): each task's reports strictly in order, one at a time; up to 10 tasks
// in flight; a failed send retried with backoff 1 s → 30 s ×1.3, jitter 0.2;
// a report deleted from the store only after berth-control answered 200, so
// a restart resends exactly what was never acknowledged (Restore). A report
// berth-control refuses for good (a 4xx that is not throttling or a
// signature problem, e.g. a task it does not know) is dropped with an error
// log instead of blocking its task forever.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/session/backoff.h"
#include "agent/session/control_client.h"
#include "agent/state/agent_state_store.h"
#include "agent/task/task_state.h"
#include "io/event_loop.h"
#include "io/rng.h"

namespace berth::agent {

struct ReporterOptions {
  size_t max_tasks_in_flight = 10;
  BackoffPolicy backoff = kReportBackoff;
};

class Reporter {
 public:
  // `store` may be null (nothing is deleted then: ECS_CHECKPOINT=false).
  Reporter(io::EventLoop& loop, ControlClient& client, AgentStateStore* store, io::Rng& rng,
           ReporterOptions options = {});
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // The unsent reports AgentStateStore::Load returned (in seq order), at
  // start, before the first Enqueue.
  void Restore(std::vector<TaskChange> unsent);
  // A report StateSink stored (seq set) or could not store (seq 0).
  void Enqueue(TaskChange change);

  // Reports neither acknowledged nor dropped yet.
  size_t queued() const { return queued_; }
  size_t tasks_in_flight() const { return active_; }

  struct Stats {
    uint64_t sent = 0;     // acknowledged with 200
    uint64_t dropped = 0;  // refused for good
    uint64_t retries = 0;  // failed sends retried
  };
  const Stats& stats() const { return stats_; }

 private:
  struct TaskQueue {
    std::deque<TaskChange> reports;
    bool active = false;   // holds a slot: sending or waiting for a retry
    bool waiting = false;  // in waiting_
    std::unique_ptr<Backoff> backoff;
    io::TimerId retry_timer = 0;
  };

  void Pump();
  void SendHead(const std::string& task_arn);
  void OnSent(const std::string& task_arn, absl::Status status);
  void Release(const std::string& task_arn);

  io::EventLoop& loop_;
  ControlClient& client_;
  AgentStateStore* store_;
  io::Rng& rng_;
  ReporterOptions options_;
  std::map<std::string, TaskQueue> tasks_;
  std::deque<std::string> waiting_;  // tasks with reports and no slot, FIFO
  size_t active_ = 0;
  size_t queued_ = 0;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_REPORTER_H_
