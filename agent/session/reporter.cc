#include "agent/session/reporter.h"

#include <utility>

#include "agent/session/control_error.h"
#include "io/log.h"

namespace berth::agent {

Reporter::Reporter(io::EventLoop& loop, ControlClient& client, AgentStateStore* store,
                   io::Rng& rng, ReporterOptions options)
    : loop_(loop), client_(client), store_(store), rng_(rng), options_(options) {
  CHECK_GT(options_.max_tasks_in_flight, 0u);
}

Reporter::~Reporter() {
  for (auto& [arn, queue] : tasks_) {
    if (queue.retry_timer != 0) {
      loop_.CancelTimer(queue.retry_timer);
    }
  }
}

void Reporter::Restore(std::vector<TaskChange> unsent) {
  for (TaskChange& change : unsent) {
    Enqueue(std::move(change));
  }
}

void Reporter::Enqueue(TaskChange change) {
  std::string arn = change.task_arn;
  TaskQueue& queue = tasks_[arn];
  queue.reports.push_back(std::move(change));
  ++queued_;
  if (!queue.active && !queue.waiting) {
    queue.waiting = true;
    waiting_.push_back(std::move(arn));
  }
  Pump();
}

void Reporter::Pump() {
  while (active_ < options_.max_tasks_in_flight && !waiting_.empty()) {
    std::string arn = std::move(waiting_.front());
    waiting_.pop_front();
    TaskQueue& queue = tasks_.at(arn);
    queue.waiting = false;
    queue.active = true;
    ++active_;
    SendHead(arn);
  }
}

void Reporter::SendHead(const std::string& task_arn) {
  TaskQueue& queue = tasks_.at(task_arn);
  queue.retry_timer = 0;
  client_.SubmitTaskStateChange(
      queue.reports.front(),
      [this, alive = std::weak_ptr<bool>(alive_), task_arn](absl::Status status) {
        if (alive.expired()) {
          return;
        }
        OnSent(task_arn, std::move(status));
      });
}

void Reporter::OnSent(const std::string& task_arn, absl::Status status) {
  TaskQueue& queue = tasks_.at(task_arn);
  const TaskChange& head = queue.reports.front();
  if (!status.ok() && !IsPermanentReportError(status)) {
    ++stats_.retries;
    if (!queue.backoff) {
      queue.backoff = std::make_unique<Backoff>(options_.backoff, rng_);
    }
    absl::Duration delay = queue.backoff->Next();
    LOG(WARNING) << "report " << head.seq << " of task " << task_arn << " (" << head.status
                 << "): " << status << "; retrying in " << delay;
    queue.retry_timer = loop_.AddTimer(delay, [this, task_arn] { SendHead(task_arn); });
    return;
  }
  if (status.ok()) {
    ++stats_.sent;
  } else {
    ++stats_.dropped;
    LOG(ERROR) << "report " << head.seq << " of task " << task_arn << " (" << head.status
               << ") dropped, berth-control refuses it: " << status;
  }
  if (store_ != nullptr && head.seq != 0) {
    if (absl::Status deleted = store_->DeleteReport(head.seq); !deleted.ok()) {
      // It is sent again after a restart; berth-control answers a repeated
      // report 200 and changes nothing.
      LOG(ERROR) << deleted;
    }
  }
  queue.reports.pop_front();
  --queued_;
  if (queue.backoff) {
    queue.backoff->Reset();
  }
  Release(task_arn);
}

void Reporter::Release(const std::string& task_arn) {
  auto it = tasks_.find(task_arn);
  TaskQueue& queue = it->second;
  queue.active = false;
  --active_;
  if (queue.reports.empty()) {
    tasks_.erase(it);
  } else {
    // Back of the line, so one busy task does not starve the others.
    queue.waiting = true;
    waiting_.push_back(task_arn);
  }
  Pump();
}

}  // namespace berth::agent
