// Statuses, fresh states and the SubmitTaskStateChange body. The lossless
// store codecs are in task_state_codec.cc.

#include "agent/task/task_state.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"

namespace berth::agent {
namespace {

constexpr std::string_view kStatusNames[] = {"NONE", "PULLED", "CREATED", "RUNNING", "STOPPED"};

template <typename Status>
std::optional<Status> ParseStatus(std::string_view text) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i) {
    if (kStatusNames[i] == text) {
      return static_cast<Status>(i);
    }
  }
  return std::nullopt;
}

template <typename Status>
std::string_view StatusName(Status status) {
  size_t i = static_cast<size_t>(status);
  return i < std::size(kStatusNames) ? kStatusNames[i] : std::string_view("NONE");
}

// The length of the valid UTF-8 character at text[i], or 0 when the bytes
// there are not one (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
size_t Utf8CharLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b = byte(i);
  if (b < 0x80) {
    return 1;
  }
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    length = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    length = 3;
    if (b == 0xE0) low = 0xA0;
    if (b == 0xED) high = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    length = 4;
    if (b == 0xF0) low = 0x90;
    if (b == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  if (byte(i + 1) < low || byte(i + 1) > high) {
    return 0;
  }
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return length;
}

// botocore's timestamps: seconds since the epoch, to the millisecond (as
// ECS shows them).
boost::json::value Timestamp(absl::Time t) {
  return boost::json::value(static_cast<double>(absl::ToUnixMillis(t)) / 1000.0);
}

void PutTime(boost::json::object& o, std::string_view key, const std::optional<absl::Time>& t) {
  if (t.has_value()) {
    o[key] = Timestamp(*t);
  }
}

void PutText(boost::json::object& o, std::string_view key, std::string_view text, size_t max) {
  if (!text.empty()) {
    o[key] = ReportText(text, max);
  }
}

}  // namespace

std::string_view ToString(ContainerStatus status) { return StatusName(status); }
std::string_view ToString(TaskStatus status) { return StatusName(status); }

std::optional<ContainerStatus> ParseContainerStatus(std::string_view text) {
  return ParseStatus<ContainerStatus>(text);
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  return ParseStatus<TaskStatus>(text);
}

std::string_view BackendStatus(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kRunning:
      return "RUNNING";
    case ContainerStatus::kStopped:
      return "STOPPED";
    default:
      return "PENDING";
  }
}

std::string_view BackendStatus(TaskStatus status) {
  switch (status) {
    case TaskStatus::kRunning:
      return "RUNNING";
    case TaskStatus::kStopped:
      return "STOPPED";
    default:
      return "PENDING";
  }
}

ContainerState* TaskState::FindContainer(std::string_view name) {
  for (ContainerState& c : containers) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

const ContainerState* TaskState::FindContainer(std::string_view name) const {
  for (const ContainerState& c : containers) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

TaskState NewTaskState(TaskSpec spec) {
  TaskState state;
  bool stopped = spec.desired_status == "STOPPED";
  state.desired = stopped ? TaskStatus::kStopped : TaskStatus::kRunning;
  state.containers.reserve(spec.containers.size());
  for (const ContainerSpec& c : spec.containers) {
    ContainerState container;
    container.name = c.name;
    container.desired = stopped ? ContainerStatus::kStopped : ContainerStatus::kRunning;
    state.containers.push_back(std::move(container));
  }
  state.spec = std::move(spec);
  return state;
}

std::string ReportText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (size_t i = 0; i < text.size();) {
    size_t length = Utf8CharLength(text, i);
    std::string_view piece = length == 0 ? std::string_view("\xEF\xBF\xBD") : text.substr(i, length);
    if (out.size() + piece.size() > max_bytes) {
      break;
    }
    out.append(piece);
    i += length == 0 ? 1 : length;
  }
  return out;
}

std::string SubmitTaskStateChangeBody(const TaskChange& change) {
  boost::json::object body;
  body["cluster"] = ReportText(change.cluster_arn);
  body["task"] = ReportText(change.task_arn);
  if (!change.status.empty()) {
    body["status"] = change.status;
  }
  PutText(body, "reason", change.reason, kMaxReasonBytes);
  if (!change.containers.empty()) {
    boost::json::array containers;
    for (const ContainerChange& c : change.containers) {
      boost::json::object o;
      o["containerName"] = ReportText(c.container_name);
      PutText(o, "runtimeId", c.runtime_id, kMaxRuntimeIdBytes);
      if (!c.status.empty()) {
        o["status"] = c.status;
      }
      if (c.exit_code.has_value()) {
        o["exitCode"] = *c.exit_code;
      }
      PutText(o, "reason", c.reason, kMaxReasonBytes);
      PutText(o, "imageDigest", c.image_digest, kMaxRuntimeIdBytes);
      if (!c.network_bindings.empty()) {
        boost::json::array bindings;
        for (const NetworkBinding& b : c.network_bindings) {
          bindings.push_back(boost::json::object{{"bindIP", ReportText(b.bind_ip)},
                                                 {"containerPort", b.container_port},
                                                 {"hostPort", b.host_port},
                                                 {"protocol", ReportText(b.protocol)}});
        }
        o["networkBindings"] = std::move(bindings);
      }
      containers.push_back(std::move(o));
    }
    body["containers"] = std::move(containers);
  }
  PutTime(body, "pullStartedAt", change.pull_started_at);
  PutTime(body, "pullStoppedAt", change.pull_stopped_at);
  PutTime(body, "executionStoppedAt", change.execution_stopped_at);
  return boost::json::serialize(body);
}

}  // namespace berth::agent
