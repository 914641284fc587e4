#include "bench/control_api/api_phases.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::bench {

namespace {

std::string JsonString(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

// A parsed answer body; object() is nullptr unless it is a JSON object.
struct Parsed {
  boost::json::value value;
  const boost::json::object* object() const {
    return value.is_object() ? &value.as_object() : nullptr;
  }
};
Parsed ParseObject(std::string_view body) {
  boost::system::error_code ec;
  Parsed p{boost::json::parse(body, ec)};
  if (ec) {
    p.value = nullptr;
  }
  return p;
}

const boost::json::array* ArrayMember(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}

std::string StringMember(const boost::json::value& v, std::string_view name) {
  if (!v.is_object()) {
    return "";
  }
  const boost::json::value* m = v.as_object().if_contains(name);
  return m != nullptr && m->is_string() ? std::string(m->as_string()) : "";
}

void FailureReasons(const boost::json::object& o, Judged* j) {
  if (const boost::json::array* failures = ArrayMember(o, "failures")) {
    for (const boost::json::value& f : *failures) {
      std::string reason = StringMember(f, "reason");
      j->item_failures.push_back(reason.empty() ? "(no reason)" : reason);
    }
  }
}

std::string Describe(const HttpReply& r) {
  if (r.status == 0) {
    return absl::StrCat("transport error: ", r.error);
  }
  return absl::StrCat("HTTP ", r.status, ": ", r.body.substr(0, 300));
}

bool IsUnknownOperation(const HttpReply& r) {
  return r.status == 400 && absl::StrContains(r.body, "UnknownOperationException");
}

}  // namespace

void Progress(const std::string& line) { std::fprintf(stderr, "control_api: %s\n", line.c_str()); }

// CreateCluster, RegisterTaskDefinition, and N RegisterContainerInstance over
// the phase connections (their rate is reported too). Agents start polling as
// their instances register.
absl::StatusOr<boost::json::object> SetUp(Bench& b, std::vector<std::string>* instance_arns) {
  boost::json::object out;
  HttpReply r =
      b.Call("CreateCluster", absl::StrCat(R"({"clusterName":)", JsonString(kCluster), "}"));
  if (r.status != 200) {
    return absl::InternalError(absl::StrCat("CreateCluster failed: ", Describe(r)));
  }
  // cpu 1 and the smallest memory berth accepts (6 MiB, docs/control.md).
  r = b.Call("RegisterTaskDefinition",
             absl::StrCat(R"({"family":)", JsonString(kFamily),
                          R"(,"containerDefinitions":[{"name":"app","image":"busybox:latest",)"
                          R"("cpu":1,"memory":6,"essential":true}]})"));
  if (r.status != 200) {
    return absl::InternalError(absl::StrCat("RegisterTaskDefinition failed: ", Describe(r)));
  }
  // Capacity that never runs out: 2^30 CPU units and MiB per instance.
  const std::string register_body = absl::StrCat(
      R"({"cluster":)", JsonString(kCluster),
      R"(,"totalResources":[{"name":"CPU","type":"INTEGER","integerValue":1073741824},)"
      R"({"name":"MEMORY","type":"INTEGER","integerValue":1073741824}]})");
  PhaseSpec spec = b.Spec("register", 0, 3600);
  spec.max_calls = static_cast<uint64_t>(b.flags.instances);
  spec.next_request = [&](int) {
    return EcsRequest(b.host, "RegisterContainerInstance", register_body);
  };
  spec.judge = [&](const HttpReply& reply) {
    Judged j;
    Parsed p = ParseObject(reply.body);
    const boost::json::value* ci =
        p.object() != nullptr ? p.object()->if_contains("containerInstance") : nullptr;
    std::string arn = ci != nullptr ? StringMember(*ci, "containerInstanceArn") : "";
    if (arn.empty()) {
      j.problem = "no containerInstance.containerInstanceArn";
      return j;
    }
    instance_arns->push_back(arn);
    if (b.flags.agents == "poll") {
      b.agents->Add(arn);
    }
    j.items = 1;
    return j;
  };
  PhaseStats stats = RunPhase(*b.client, spec);
  out["register_container_instances"] = PhaseJson(stats, "instances");
  if (instance_arns->size() != static_cast<size_t>(b.flags.instances)) {
    return absl::InternalError(absl::StrCat(
        "registered ", instance_arns->size(), " of ", b.flags.instances,
        " container instances: ", boost::json::serialize(PhaseJson(stats, "instances"))));
  }
  return out;
}

// Phase 1: RunTask (or RegisterContainerInstance with --ops instances).
boost::json::object WritePhase(Bench& b, std::vector<std::string>* arns,
                               std::map<std::string, uint64_t>* per_instance) {
  const bool tasks = b.flags.ops == "tasks";
  const std::string op = tasks ? "RunTask" : "RegisterContainerInstance";
  const std::string body =
      tasks ? absl::StrCat(R"({"cluster":)", JsonString(kCluster), R"(,"taskDefinition":)",
                           JsonString(kFamily), R"(,"count":)", b.flags.count, "}")
            : absl::StrCat(
                  R"({"cluster":)", JsonString(kCluster),
                  R"(,"totalResources":[{"name":"CPU","type":"INTEGER","integerValue":1024},)"
                  R"({"name":"MEMORY","type":"INTEGER","integerValue":2048}]})");
  boost::json::object out;
  out["operation"] = op;
  HttpReply probe = b.Call(
      op, tasks ? absl::StrCat(R"({"cluster":)", JsonString(kCluster), R"(,"taskDefinition":)",
                               JsonString(kFamily), R"(,"count":1})")
                : body);
  if (IsUnknownOperation(probe)) {
    out["skipped"] = absl::StrCat(op,
                                  " is not served by this berth-control "
                                  "(UnknownOperationException): phase skipped");
    Progress(std::string(out["skipped"].as_string()));
    return out;
  }
  if (probe.status != 200) {
    out["skipped"] = absl::StrCat("the probe ", op, " failed: ", Describe(probe));
    Progress(std::string(out["skipped"].as_string()));
    b.exit_code = 1;
    return out;
  }
  Progress(absl::StrCat("phase 1: ", op, " from ", b.conns.size(), " connections, warm-up ",
                        b.flags.warmup, " s, then ", b.flags.duration, " s"));
  out["load_at_start"] = MachineLoad();
  Metrics before = b.FetchMetrics();
  PhaseSpec spec = b.Spec(op, b.flags.warmup, b.flags.duration);
  spec.next_request = [&](int) { return EcsRequest(b.host, op, body); };
  spec.judge = [&](const HttpReply& reply) {
    Judged j;
    Parsed p = ParseObject(reply.body);
    if (p.object() == nullptr) {
      j.problem = "not a JSON object";
      return j;
    }
    if (!tasks) {
      const boost::json::value* ci = p.object()->if_contains("containerInstance");
      std::string arn = ci != nullptr ? StringMember(*ci, "containerInstanceArn") : "";
      if (arn.empty()) {
        j.problem = "no containerInstance.containerInstanceArn";
      } else {
        arns->push_back(arn);
        j.items = 1;
      }
      return j;
    }
    const boost::json::array* list = ArrayMember(*p.object(), "tasks");
    if (list == nullptr) {
      j.problem = "no tasks array";
      return j;
    }
    for (const boost::json::value& t : *list) {
      std::string arn = StringMember(t, "taskArn");
      if (arn.empty()) {
        j.problem = "a task without taskArn";
        return j;
      }
      arns->push_back(std::move(arn));
      ++(*per_instance)[StringMember(t, "containerInstanceArn")];
    }
    j.items = list->size();
    FailureReasons(*p.object(), &j);
    return j;
  };
  PhaseStats stats = RunPhase(*b.client, spec);
  Metrics after = b.FetchMetrics();
  out["request_body"] = body;
  boost::json::object figures = PhaseJson(stats, tasks ? "tasks" : "instances");
  for (auto& [k, v] : figures) {
    out[k] = v;
  }
  if (tasks) {
    out["goal_tasks_per_s"] = kGoalTasksPerS;
    out["ratio_to_goal"] = std::round(static_cast<double>(stats.items) /
                                      std::max(stats.window_s, 1e-9) / kGoalTasksPerS * 100) /
                           100;
  }
  out["store"] = CommitFigures(before, after);
  if (stats.aborted || !stats.errors.empty()) {
    b.exit_code = 1;
  }
  return out;
}

// Phase 2: DescribeTasks (or DescribeContainerInstances) of `batch` ARNs.
boost::json::object ReadPhase(Bench& b, const std::vector<std::string>& arns) {
  const bool tasks = b.flags.ops == "tasks";
  const std::string op = tasks ? "DescribeTasks" : "DescribeContainerInstances";
  const std::string member = tasks ? "tasks" : "containerInstances";
  boost::json::object out;
  out["operation"] = op;
  if (arns.empty()) {
    out["skipped"] = "no ARNs from phase 1 to describe: phase skipped";
    Progress(std::string(out["skipped"].as_string()));
    return out;
  }
  const size_t batch = std::min<size_t>(static_cast<size_t>(b.flags.describe_batch), arns.size());
  std::vector<std::string> requests;
  for (size_t at = 0; at + batch <= arns.size(); at += batch) {
    std::string body = absl::StrCat(R"({"cluster":)", JsonString(kCluster), ",\"", member, "\":[");
    for (size_t i = at; i < at + batch; ++i) {
      absl::StrAppend(&body, i == at ? "\"" : ",\"", arns[i], "\"");
    }
    body.append("]}");
    requests.push_back(EcsRequest(b.host, op, body));
  }
  HttpReply probe = b.client->Call(b.ctl, requests[0], kSetupTimeout);
  if (IsUnknownOperation(probe)) {
    out["skipped"] = absl::StrCat(op,
                                  " is not served by this berth-control "
                                  "(UnknownOperationException): phase skipped");
    Progress(std::string(out["skipped"].as_string()));
    return out;
  }
  if (probe.status != 200) {
    out["skipped"] = absl::StrCat("the probe ", op, " failed: ", Describe(probe));
    Progress(std::string(out["skipped"].as_string()));
    b.exit_code = 1;
    return out;
  }
  Progress(absl::StrCat("phase 2: ", op, " of ", batch, " ARNs per call (", requests.size(),
                        " distinct batches) from ", b.conns.size(), " connections"));
  out["load_at_start"] = MachineLoad();
  Metrics before = b.FetchMetrics();
  PhaseSpec spec = b.Spec(op, b.flags.warmup, b.flags.duration);
  uint64_t next = 0;
  uint64_t answers = 0;
  uint64_t validated = 0;
  spec.next_request = [&](int) { return requests[next++ % requests.size()]; };
  const std::string empty_failures = "\"failures\":[]";
  spec.judge = [&](const HttpReply& reply) {
    Judged j;
    // Cheap on most answers: every ARN asked for is in `member` or in
    // `failures`, so an empty `failures` means `batch` described.
    if (answers++ % kValidateEvery != 0 && absl::StrContains(reply.body, empty_failures)) {
      j.items = batch;
      return j;
    }
    Parsed p = ParseObject(reply.body);
    const boost::json::array* list =
        p.object() != nullptr ? ArrayMember(*p.object(), member) : nullptr;
    if (list == nullptr) {
      j.problem = absl::StrCat("no ", member, " array");
      return j;
    }
    ++validated;
    j.items = list->size();
    FailureReasons(*p.object(), &j);
    if (list->size() + j.item_failures.size() != batch) {
      j.problem = absl::StrCat(list->size(), " described + ", j.item_failures.size(),
                               " failures for ", batch, " asked");
    }
    return j;
  };
  PhaseStats stats = RunPhase(*b.client, spec);
  Metrics after = b.FetchMetrics();
  out["arns_per_call"] = batch;
  out["distinct_batches"] = requests.size();
  out["answers_validated_in_full"] = validated;
  boost::json::object figures = PhaseJson(stats, tasks ? "tasks_described" : "instances_described");
  for (auto& [k, v] : figures) {
    out[k] = v;
  }
  out["response_body_bytes"] = probe.body.size();
  if (tasks) {
    out["goal_requests_per_s"] = kGoalDescribePerS;
    out["ratio_to_goal"] = std::round(static_cast<double>(stats.calls_ok) /
                                      std::max(stats.window_s, 1e-9) / kGoalDescribePerS * 100) /
                           100;
  }
  out["store"] = CommitFigures(before, after);
  if (stats.aborted || !stats.errors.empty()) {
    b.exit_code = 1;
  }
  return out;
}

// Starts berth-control; if this build does not know --agent-disconnect-after

}  // namespace berth::bench
