#include "agent/endpoints/task_metadata_handler.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/endpoints/go_json.h"
#include "agent/endpoints/task_metadata_views.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;

io::HttpResponse JsonAnswer(int status, const json::value& body) {
  io::HttpResponse r = io::HttpResponse::Json(status, GoJson(body));
  return r;
}

io::HttpResponse ErrorAnswer(int status, std::string message) {
  return JsonAnswer(status, json::string(message));
}

}  // namespace

RateLimiter::RateLimiter(const io::TimeSource& time, double rate, double burst)
    : time_(time), rate_(rate), burst_(burst), tokens_(burst), last_(time.Now()) {}

bool RateLimiter::Allow() {
  const absl::Time now = time_.Now();
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
  if (tokens_ < 1) {
    return false;
  }
  tokens_ -= 1;
  return true;
}

TaskMetadataHandler::TaskMetadataHandler(const TaskMetadataSource& source,
                                         const io::TimeSource& time, double rate, double burst)
    : source_(source), limiter_(time, rate, burst) {}

io::HttpResponse TaskMetadataHandler::Handle(const io::HttpRequest& request) {
  if (!limiter_.Allow()) {
    return io::HttpResponse::Text(429, "You have reached maximum request limit.\n");
  }
  std::vector<std::string_view> parts;
  for (absl::string_view p : absl::StrSplit(Absl(request.path()), '/', absl::SkipEmpty())) {
    parts.emplace_back(p.data(), p.size());
  }
  if (parts.size() < 2 || (parts[0] != "v4" && parts[0] != "v3")) {
    return io::HttpResponse::Text(404, "404 page not found\n");
  }
  const bool v4 = parts[0] == "v4";
  const MetadataVersion version = v4 ? MetadataVersion::kV4 : MetadataVersion::kV3;
  const std::string_view id = parts[1];
  std::string rest;
  for (size_t i = 2; i < parts.size(); ++i) {
    if (i > 2) rest += '/';
    rest.append(parts[i]);
  }
  const std::string V = v4 ? "V4" : "V3";
  const TaskMetadataSource::Found found = source_.FindByMetadataId(id);
  const int lookup_status = v4 ? 404 : 500;
  const int stats_lookup_status = v4 ? 404 : 400;
  const std::string lookup_error =
      absl::StrCat("unable to get docker ID from v3 endpoint ID: ", Absl(id));

  if (rest.empty()) {
    if (found.task == nullptr) {
      return ErrorAnswer(lookup_status,
                         absl::StrCat(V,
                                      " container metadata handler: unable to get container "
                                      "ID from request: ",
                                      lookup_error));
    }
    return JsonAnswer(
        200, MetadataContainerResponse(*found.task, found.index, source_.Cluster(), version));
  }
  if (rest == "task" || rest == "taskWithTags") {
    if (found.task == nullptr) {
      return ErrorAnswer(lookup_status,
                         absl::StrCat(V,
                                      " task metadata handler: unable to get task ARN from "
                                      "request: unable to get task Arn from v3 endpoint ID: ",
                                      Absl(id)));
    }
    return JsonAnswer(200, MetadataTaskResponse(*found.task, source_.Cluster(), version));
  }
  DockerStatsOptions options = source_.StatsOptions();
  options.network_rate_stats = v4;
  if (rest == "stats") {
    if (found.task == nullptr) {
      return ErrorAnswer(stats_lookup_status,
                         absl::StrCat(V,
                                      " container stats handler: unable to get container ID "
                                      "from request: ",
                                      lookup_error));
    }
    const ContainerState& c = found.task->containers[found.index];
    const stats::ContainerSample* now = source_.LatestStats(c.runtime_id);
    if (now == nullptr) {
      return ErrorAnswer(500, absl::StrCat("Unable to get container stats for: ", c.runtime_id));
    }
    return JsonAnswer(200, DockerStatsJson(*now, source_.PreviousStats(c.runtime_id),
                                           c.runtime_name, c.runtime_id, options));
  }
  if (rest == "task/stats") {
    if (found.task == nullptr) {
      return ErrorAnswer(stats_lookup_status,
                         absl::StrCat(V,
                                      " task stats handler: unable to get task ARN from "
                                      "request: unable to get task Arn from v3 endpoint ID: ",
                                      Absl(id)));
    }
    json::object out;
    for (const ContainerState& c : found.task->containers) {
      if (c.runtime_id.empty()) {
        continue;  // never created: no stats to have
      }
      const stats::ContainerSample* now = source_.LatestStats(c.runtime_id);
      if (now == nullptr) {
        out[c.runtime_id] = v4 ? json::value(json::object()) : json::value(nullptr);
      } else {
        out[c.runtime_id] = DockerStatsJson(*now, source_.PreviousStats(c.runtime_id),
                                            c.runtime_name, c.runtime_id, options);
      }
    }
    return JsonAnswer(200, out);
  }
  return io::HttpResponse::Text(404, "404 page not found\n");
}

}  // namespace berth::agent::endpoints
