#ifndef BERTH_AGENT_ENDPOINTS_TASK_METADATA_HANDLER_H_
#define BERTH_AGENT_ENDPOINTS_TASK_METADATA_HANDLER_H_

// The task metadata endpoint's routes (127.0.0.1:51679; what
// ECS_CONTAINER_METADATA_URI_V4 and ECS_CONTAINER_METADATA_URI point at), as
// a function from request to response (any method), with the Amazon agent's
// rate limit (../shared/reference/ecs-agent.md §2):
//
//   /v4/<id>               200 container response     404 unknown id
//   /v4/<id>/task          200 task response          404
//   /v4/<id>/taskWithTags  200 task response (berth has no tags to add)
//   /v4/<id>/stats         200 Docker stats JSON      404 | 500 no sample yet
//   /v4/<id>/task/stats    200 {"<DockerId>": stats or {}, ...}   404
//   /v3/...                the same routes, the v3 shapes; errors 500
//                          (metadata) or 400 (stats)
//   anything else          404 "404 page not found" (text, as gorilla/mux)
//   beyond the rate        429
// Error bodies are JSON strings, as the Amazon agent writes them.

#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "agent/endpoints/docker_stats.h"
#include "agent/stats/container_stats.h"
#include "agent/task/task_state.h"
#include "io/http_types.h"
#include "io/time_source.h"

namespace berth::agent::endpoints {

class TaskMetadataSource {
 public:
  virtual ~TaskMetadataSource() = default;
  struct Found {
    const TaskState* task = nullptr;  // nullptr: no container has this id
    size_t index = 0;                 // the container's index in task->containers
  };
  virtual Found FindByMetadataId(std::string_view metadata_id) const = 0;
  virtual std::string_view Cluster() const = 0;
  // The stats collector's last sample of a container and the one before.
  virtual const stats::ContainerSample* LatestStats(std::string_view runtime_id) const = 0;
  virtual const stats::ContainerSample* PreviousStats(std::string_view runtime_id) const = 0;
  virtual DockerStatsOptions StatsOptions() const = 0;
};

// A token bucket: `rate` requests per second on average, `burst` at once
// (ECS_TASK_METADATA_RPS_LIMIT, "40,60").
class RateLimiter {
 public:
  RateLimiter(const io::TimeSource& time, double rate, double burst);
  bool Allow();

 private:
  const io::TimeSource& time_;
  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
};

class TaskMetadataHandler {
 public:
  // `source` must outlive the handler.
  TaskMetadataHandler(const TaskMetadataSource& source, const io::TimeSource& time,
                      double rate = 40, double burst = 60);
  io::HttpResponse Handle(const io::HttpRequest& request);

 private:
  const TaskMetadataSource& source_;
  RateLimiter limiter_;
};

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_TASK_METADATA_HANDLER_H_
