#include "control/api/agent_telemetry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/serialize.hpp"
#include "control/api/agent_poll.h"
#include "control/api/args.h"
#include "control/api/ecs_error.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control {
namespace {

// A stats set member ("cpuStatsSet"): absent, or four numbers that fit
// together. sampleCount 0 (nothing sampled) drops it.
absl::Status DecodeStatsSet(const Args& args, std::string_view key,
                            std::optional<TelemetryStatsSet>* out) {
  const boost::json::object* object = nullptr;
  RETURN_IF_ERROR(args.GetObject(key, &object));
  if (object == nullptr) {
    return absl::OkStatus();
  }
  Args set(*object, args.Path(key));
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> sum;
  std::optional<int64_t> count;
  RETURN_IF_ERROR(set.Get("min", &min));
  RETURN_IF_ERROR(set.Get("max", &max));
  RETURN_IF_ERROR(set.Get("sum", &sum));
  RETURN_IF_ERROR(set.Get("sampleCount", &count));
  if (!count.has_value()) {
    return MissingParameter(set.Path("sampleCount"));
  }
  if (*count < 0) {
    return InvalidParameter(absl::StrCat(set.Path("sampleCount"), " must not be negative."));
  }
  if (*count > kMaxTelemetrySamples) {
    return InvalidParameter(
        absl::StrCat(set.Path("sampleCount"), " must be at most ", kMaxTelemetrySamples, "."));
  }
  if (*count == 0) {
    return absl::OkStatus();
  }
  for (auto [name, value] :
       {std::pair{"min", &min}, std::pair{"max", &max}, std::pair{"sum", &sum}}) {
    if (!value->has_value()) {
      return MissingParameter(set.Path(name));
    }
    if (**value < 0) {
      return InvalidParameter(absl::StrCat(set.Path(name), " must not be negative."));
    }
    const double bound = name == std::string_view("sum")
                             ? kMaxTelemetryValue * static_cast<double>(*count)
                             : kMaxTelemetryValue;
    if (**value > bound) {
      return InvalidParameter(absl::StrCat(set.Path(name), " must be at most ", bound, "."));
    }
  }
  const double n = static_cast<double>(*count);
  // Rounding in the sender's sum: allow a relative 1e-9.
  const double slack = 1e-9 * (*max * n + 1);
  if (*min > *max || *sum < *min * n - slack || *sum > *max * n + slack) {
    return InvalidParameter(absl::StrCat(args.Path(key), " is not a set of ", *count,
                                         " samples between min ", *min, " and max ", *max,
                                         " with sum ", *sum, "."));
  }
  *out = TelemetryStatsSet{.min = *min, .max = *max, .sum = *sum, .sample_count = *count};
  return absl::OkStatus();
}

absl::Status DecodeContainer(const Args& args, TelemetryContainer* out) {
  RETURN_IF_ERROR(args.Require("containerName", &out->name));
  if (out->name.empty()) {
    return InvalidParameter(absl::StrCat(args.Path("containerName"), " must not be empty."));
  }
  RETURN_IF_ERROR(DecodeStatsSet(args, "cpuStatsSet", &out->cpu));
  RETURN_IF_ERROR(DecodeStatsSet(args, "memoryStatsSet", &out->memory));
  const boost::json::object* network = nullptr;
  RETURN_IF_ERROR(args.GetObject("networkStatsSet", &network));
  if (network != nullptr) {
    Args net(*network, args.Path("networkStatsSet"));
    RETURN_IF_ERROR(net.Get("rxBytes", &out->rx_bytes));
    RETURN_IF_ERROR(net.Get("txBytes", &out->tx_bytes));
    for (auto [name, value] :
         {std::pair{"rxBytes", &out->rx_bytes}, std::pair{"txBytes", &out->tx_bytes}}) {
      if (value->value_or(0) < 0) {
        return InvalidParameter(absl::StrCat(net.Path(name), " must not be negative."));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeTask(const Args& args, TelemetryTask* out) {
  RETURN_IF_ERROR(args.Require("taskArn", &out->task_arn));
  if (out->task_arn.empty()) {
    return InvalidParameter(absl::StrCat(args.Path("taskArn"), " must not be empty."));
  }
  std::optional<std::string> family;
  std::optional<std::string> version;
  RETURN_IF_ERROR(args.Get("taskDefinitionFamily", &family));
  RETURN_IF_ERROR(args.Get("taskDefinitionVersion", &version));
  out->family = family.value_or("");
  out->version = version.value_or("");
  std::optional<std::vector<TelemetryContainer>> containers;
  RETURN_IF_ERROR(args.GetList("containerMetrics", &containers, DecodeContainer));
  out->containers = std::move(containers).value_or(std::vector<TelemetryContainer>{});
  if (out->containers.size() > kMaxTelemetryContainers) {
    return InvalidParameter(absl::StrCat(args.Path("containerMetrics"), " has ",
                                         out->containers.size(), " containers; at most ",
                                         kMaxTelemetryContainers, " are allowed."));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentTelemetryRequest> DecodeAgentTelemetry(std::string_view body) {
  ASSIGN_OR_RETURN(boost::json::object root, DecodeAgentBody(body));
  Args args(root);
  AgentTelemetryRequest request;
  const boost::json::object* metadata = nullptr;
  RETURN_IF_ERROR(args.GetObject("metadata", &metadata));
  if (metadata == nullptr) {
    return MissingParameter("metadata");
  }
  request.metadata = *metadata;
  Args meta(request.metadata, "metadata");
  std::optional<std::string> cluster;
  std::optional<bool> idle;
  std::optional<bool> fin;
  RETURN_IF_ERROR(meta.Get("cluster", &cluster));  // its type; RequestCluster resolves it
  RETURN_IF_ERROR(meta.Require("containerInstance", &request.instance));
  RETURN_IF_ERROR(meta.Require("messageId", &request.message_id));
  RETURN_IF_ERROR(meta.Get("idle", &idle));
  RETURN_IF_ERROR(meta.Get("fin", &fin));
  if (request.instance.empty()) {
    return InvalidParameter("metadata.containerInstance must not be empty.");
  }
  if (request.message_id.empty()) {
    return InvalidParameter("metadata.messageId must not be empty.");
  }
  request.idle = idle.value_or(false);
  request.fin = fin.value_or(true);
  RETURN_IF_ERROR(args.Get("timestamp", &request.timestamp));
  std::optional<std::vector<TelemetryTask>> tasks;
  RETURN_IF_ERROR(args.GetList("taskMetrics", &tasks, DecodeTask));
  request.tasks = std::move(tasks).value_or(std::vector<TelemetryTask>{});
  if (request.tasks.size() > kMaxTelemetryTasks) {
    return InvalidParameter(absl::StrCat("taskMetrics has ", request.tasks.size(),
                                         " tasks; at most ", kMaxTelemetryTasks,
                                         " are allowed per message."));
  }
  return request;
}

std::string AgentTelemetryAnswer(std::string_view message_id) {
  boost::json::object out;
  out["type"] = "AckPublishMetric";
  out["messageId"] = message_id;
  return boost::json::serialize(out);
}

}  // namespace berth::control
