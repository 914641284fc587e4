// The state store's codecs: random states and changes round-trip exactly
// (to the nanosecond), and anything Encode would not write is DataLoss
// naming the member.

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/task/task_state.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/task/random_state.h"

namespace berth::agent {
namespace {

using ::testing::StartsWith;
using testing::RandomState;
using testing::RandomChange;

TEST(TaskStateCodecTest, RandomStatesRoundTrip) {
  std::mt19937_64 rng(20261121);
  for (int i = 0; i < 500; ++i) {
    TaskState state = RandomState(rng);
    std::string json = EncodeTaskState(state);
    absl::StatusOr<TaskState> decoded = DecodeTaskState(json);
    ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << json;
    ASSERT_EQ(*decoded, state) << json;
    EXPECT_EQ(EncodeTaskState(*decoded), json);
  }
}

TEST(TaskStateCodecTest, RandomChangesRoundTrip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; ++i) {
    TaskChange change = RandomChange(rng);
    std::string json = EncodeTaskChange(change);
    absl::StatusOr<TaskChange> decoded = DecodeTaskChange(json);
    ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << json;
    ASSERT_EQ(*decoded, change) << json;
  }
}

// Format 1 as this agent first wrote it: a state directory written by this
// version must load in every later one (a change to the format is a new
// format number and a migration, never a silent reinterpretation).
constexpr char kFormat1State[] =
    R"({"format":1,"spec":{"arn":"arn:aws:ecs:us-east-1:000000000000:task/prod/e43da1a8f34c2e22)"
    R"(559163d4e82ac37e","id":"e43da1a8f34c2e22559163d4e82ac37e","clusterArn":"arn:aws:ecs:us-e)"
    R"(ast-1:000000000000:cluster/prod","containerInstanceArn":"arn:aws:ecs:us-east-1:000000000)"
    R"(000:container-instance/prod/6d2e5ee6d7fd151c8a20529b9bf8793a","taskDefinitionArn":"arn:a)"
    R"(ws:ecs:us-east-1:000000000000:task-definition/one:1","family":"one","revision":1,"desire)"
    R"(dStatus":"RUNNING","networkMode":"host","launchType":"EC2","availabilityZone":"us-east-1)"
    R"(a","group":"family:one","startedBy":"","version":1,"containers":[{"name":"sleep","image")"
    R"(:"busybox","cpu":0,"memory":64,"essential":true,"command":["sleep","3600"],"environment")"
    R"(:[],"portMappings":[{"containerPort":9000}],"dependsOn":[],"initProcessEnabled":false,"r)"
    R"(eadonlyRootFilesystem":false,"logDriver":"json-file","dockerLabels":[]}]},"known":"STOPP)"
    R"(ED","desired":"STOPPED","containers":[{"name":"sleep","known":"STOPPED","desired":"RUNNI)"
    R"(NG","runtimeId":"","runtimeName":"","imageId":"","imageDigest":"","metadataId":"","shim")"
    R"(:{"pid":0,"startTime":0},"process":{"pid":0,"startTime":0},"exitCode":137,"reason":"OutO)"
    R"(fMemoryError: Container killed due to memory usage","oomKilled":true,"networkBindings":[)"
    R"(]}],"stopReason":"Essential container in task exited","executionStoppedAtNs":17000000990)"
    R"(00000000,"stoppedAtNs":1700000100000000000})";
constexpr char kFormat1Change[] =
    R"({"format":1,"seq":13,"clusterArn":"arn:aws:ecs:us-east-1:000000000000:cluster/prod","tas)"
    R"(kArn":"arn:aws:ecs:us-east-1:000000000000:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0","s)"
    R"(tatus":"STOPPED","reason":"Essential container in task exited","containers":[{"container)"
    R"(Name":"app","runtimeId":"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc)"
    R"(c","status":"STOPPED","exitCode":1,"reason":"CannotStartContainerError: exec: \"app\": n)"
    R"(ot found","imageDigest":"sha256:22222222222222222222222222222222222222222222222222222222)"
    R"(22222222","networkBindings":[]}],"pullStartedAtNs":1700000000500000000,"pullStoppedAtNs")"
    R"(:1700000000900000000,"executionStoppedAtNs":1700000200000000000})";

TEST(TaskStateCodecTest, Format1RecordsStillLoadAndReencodeTheSame) {
  absl::StatusOr<TaskState> state = DecodeTaskState(kFormat1State);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->spec.id, "e43da1a8f34c2e22559163d4e82ac37e");
  EXPECT_EQ(state->spec.network_mode, ecs::NetworkMode::kHost);
  EXPECT_EQ(state->known, TaskStatus::kStopped);
  ASSERT_EQ(state->containers.size(), 1u);
  EXPECT_EQ(state->containers[0].exit_code, 137);
  EXPECT_TRUE(state->containers[0].oom_killed);
  EXPECT_EQ(state->stopped_at, absl::FromUnixSeconds(1700000100));
  EXPECT_EQ(state->pull_started_at, std::nullopt);
  EXPECT_EQ(EncodeTaskState(*state), kFormat1State);

  absl::StatusOr<TaskChange> change = DecodeTaskChange(kFormat1Change);
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->seq, 13u);
  EXPECT_EQ(change->status, "STOPPED");
  ASSERT_EQ(change->containers.size(), 1u);
  EXPECT_EQ(change->containers[0].exit_code, 1);
  EXPECT_EQ(change->execution_stopped_at, absl::FromUnixSeconds(1700000200));
  EXPECT_EQ(EncodeTaskChange(*change), kFormat1Change);
}

TEST(TaskStateCodecTest, TimesKeepTheirNanoseconds) {
  std::mt19937_64 rng(1);
  TaskState state = RandomState(rng);
  state.stopped_at = absl::FromUnixNanos(1700000000123456789);
  state.containers[0].started_at = absl::FromUnixNanos(-1);  // before the epoch
  absl::StatusOr<TaskState> decoded = DecodeTaskState(EncodeTaskState(state));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(absl::ToUnixNanos(*decoded->stopped_at), 1700000000123456789);
  EXPECT_EQ(decoded->containers[0].started_at, absl::FromUnixNanos(-1));
}

TEST(TaskStateCodecTest, ExtremeNumbersRoundTrip) {
  std::mt19937_64 rng(2);
  TaskState state = RandomState(rng);
  state.containers[0].shim.start_time = UINT64_MAX;
  state.containers[0].exit_code = INT32_MIN;
  state.spec.version = INT64_MAX;
  state.spec.revision = INT32_MIN;
  absl::StatusOr<TaskState> decoded = DecodeTaskState(EncodeTaskState(state));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, state);
  TaskChange change = RandomChange(rng);
  change.seq = UINT64_MAX;
  absl::StatusOr<TaskChange> c = DecodeTaskChange(EncodeTaskChange(change));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->seq, UINT64_MAX);
}

// The DataLoss message of decoding `json` as a task state, or "OK".
std::string StateError(std::string_view json) {
  absl::StatusOr<TaskState> s = DecodeTaskState(json);
  if (s.ok()) {
    return "OK";
  }
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << s.status();
  return std::string(s.status().message());
}

std::string ChangeError(std::string_view json) {
  absl::StatusOr<TaskChange> s = DecodeTaskChange(json);
  if (s.ok()) {
    return "OK";
  }
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << s.status();
  return std::string(s.status().message());
}

// A fixed state's encoding, parsed, for surgery.
boost::json::object StateJson() {
  std::mt19937_64 rng(3);
  TaskState state = RandomState(rng);
  while (state.spec.containers.size() < 2) {
    state = RandomState(rng);
  }
  return boost::json::parse(EncodeTaskState(state)).as_object();
}

boost::json::object& SpecContainer(boost::json::object& o, size_t i) {
  return o["spec"].as_object()["containers"].as_array()[i].as_object();
}

TEST(TaskStateCodecTest, RefusesWhatEncodeWouldNotWrite) {
  EXPECT_THAT(StateError(""), StartsWith("invalid JSON at offset 0"));
  EXPECT_EQ(StateError("[]"), "invalid field '<top>': expected an object, got a list");
  EXPECT_EQ(StateError("{}"), "invalid field 'format': missing");
  EXPECT_EQ(StateError(R"({"format":2})"),
            "invalid field 'format': expected 1 (this agent's), got 2");

  struct Case {
    std::function<void(boost::json::object&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](auto& o) { o["extra"] = 1; }, "invalid field 'extra': unexpected member"},
      {[](auto& o) { o.erase("known"); }, "invalid field 'known': missing"},
      {[](auto& o) { o["known"] = "PENDING"; },
       "invalid field 'known': expected one of NONE, PULLED, CREATED, RUNNING, STOPPED, got "
       "\"PENDING\""},
      {[](auto& o) { o["stoppedAtNs"] = 1.5; },
       "invalid field 'stoppedAtNs': expected an integer, got a number"},
      {[](auto& o) { o["stoppedAtNs"] = nullptr; },
       "invalid field 'stoppedAtNs': expected an integer, got null"},
      {[](auto& o) { o["stopReason"] = 3; },
       "invalid field 'stopReason': expected a string, got an integer"},
      {[](auto& o) { o["containers"].as_array().pop_back(); },
       "invalid field 'containers': expected "},
      {[](auto& o) { o["containers"].as_array()[0].as_object()["name"] = "other"; },
       "invalid field 'containers[0].name': expected \""},
      {[](auto& o) { o["containers"].as_array()[1].as_object()["shim"].as_object()["pid"] = -1; },
       "invalid field 'containers[1].shim.pid': expected an integer from 0 to 2147483647"},
      {[](auto& o) {
         o["containers"].as_array()[0].as_object()["process"].as_object()["startTime"] = -1;
       },
       "invalid field 'containers[0].process.startTime': expected an integer from 0 to "
       "18446744073709551615"},
      {[](auto& o) { o["containers"].as_array()[0].as_object()["exitCode"] = 4294967296; },
       "invalid field 'containers[0].exitCode': expected an integer from -2147483648 to "
       "2147483647"},
      {[](auto& o) {
         o["containers"].as_array()[0].as_object()["networkBindings"] = boost::json::array{
             boost::json::object{{"bindIP", "0.0.0.0"}, {"containerPort", 80},
                                 {"hostPort", 70000}, {"protocol", "tcp"}}};
       },
       "invalid field 'containers[0].networkBindings[0].hostPort': expected an integer from 0 "
       "to 65535"},
      {[](auto& o) {
         o["containers"].as_array()[0].as_object()["networkBindings"] = boost::json::array{
             boost::json::object{{"bindIP", "0.0.0.0"}, {"containerPort", 80},
                                 {"hostPort", 80}, {"protocol", "sctp"}}};
       },
       "invalid field 'containers[0].networkBindings[0].protocol': expected one of tcp, udp"},
      {[](auto& o) { o["spec"].as_object()["id"] = "other"; },
       "invalid field 'spec.id': expected the last segment of the task ARN"},
      {[](auto& o) { o["spec"].as_object()["desiredStatus"] = "PENDING"; },
       "invalid field 'spec.desiredStatus': expected one of RUNNING, STOPPED"},
      {[](auto& o) { o["spec"].as_object()["networkMode"] = "nat"; },
       "invalid field 'spec.networkMode': expected one of bridge, host, awsvpc, none, got "
       "\"nat\""},
      {[](auto& o) { o["spec"].as_object()["cpuUnits"] = -1; },
       "invalid field 'spec.cpuUnits': expected an integer from 0 to "},
      {[](auto& o) { SpecContainer(o, 1)["name"] = SpecContainer(o, 0)["name"]; },
       "invalid field 'spec.containers[1].name': duplicate container name"},
      {[](auto& o) { SpecContainer(o, 0)["name"] = "a/b"; },
       "invalid field 'spec.containers[0].name': expected 1 to 255 letters"},
      {[](auto& o) { SpecContainer(o, 0)["environment"] = boost::json::array{"A=1"}; },
       "invalid field 'spec.containers[0].environment[0]': expected a list of two strings"},
      {[](auto& o) {
         SpecContainer(o, 0)["dependsOn"] = boost::json::array{boost::json::object{
             {"containerName", "nope"}, {"condition", "START"}}};
       },
       "invalid field 'spec.containers[0].dependsOn[0].containerName': expected another "
       "container of the task, got \"nope\""},
      {[](auto& o) {
         SpecContainer(o, 0)["dependsOn"] = boost::json::array{boost::json::object{
             {"containerName", "nope"}, {"condition", "CREATE"}}};
       },
       "invalid field 'spec.containers[0].dependsOn[0].condition': expected one of START, "
       "COMPLETE, SUCCESS, HEALTHY, got \"CREATE\""},
      {[](auto& o) {
         SpecContainer(o, 0)["portMappings"] =
             boost::json::array{boost::json::object{{"containerPort", 80}, {"x", 1}}};
       },
       "invalid field 'spec.containers[0].portMappings[0].x': unexpected member"},
      {[](auto& o) { SpecContainer(o, 0)["essential"] = "yes"; },
       "invalid field 'spec.containers[0].essential': expected a boolean, got a string"},
      {[](auto& o) { o["spec"].as_object()["containers"] = boost::json::array{}; },
       "invalid field 'spec.containers': expected at least one container"},
  };
  for (const Case& c : cases) {
    boost::json::object o = StateJson();
    ASSERT_EQ(StateError(boost::json::serialize(o)), "OK");
    c.change(o);
    EXPECT_THAT(StateError(boost::json::serialize(o)), StartsWith(c.message)) << c.message;
  }
}

TEST(TaskChangeCodecTest, RefusesWhatEncodeWouldNotWrite) {
  std::mt19937_64 rng(4);
  TaskChange change = RandomChange(rng);
  change.containers.resize(1);
  boost::json::object base = boost::json::parse(EncodeTaskChange(change)).as_object();
  struct Case {
    std::function<void(boost::json::object&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](auto& o) { o["seq"] = -1; },
       "invalid field 'seq': expected an integer from 0 to 18446744073709551615"},
      {[](auto& o) { o["status"] = "PROVISIONING"; },
       "invalid field 'status': expected one of PENDING, RUNNING, STOPPED or nothing"},
      {[](auto& o) { o["containers"].as_array()[0].as_object()["status"] = "CREATED"; },
       "invalid field 'containers[0].status': expected one of PENDING, RUNNING, STOPPED or "
       "nothing"},
      {[](auto& o) { o["containers"].as_array()[0].as_object().erase("containerName"); },
       "invalid field 'containers[0].containerName': missing"},
      {[](auto& o) { o["containers"] = boost::json::object{}; },
       "invalid field 'containers': expected a list, got an object"},
      {[](auto& o) { o["pullStartedAtNs"] = "2023-11-14T22:13:20Z"; },
       "invalid field 'pullStartedAtNs': expected an integer, got a string"},
      {[](auto& o) { o["reasons"] = ""; }, "invalid field 'reasons': unexpected member"},
  };
  ASSERT_EQ(ChangeError(boost::json::serialize(base)), "OK");
  for (const Case& c : cases) {
    boost::json::object o = base;
    c.change(o);
    EXPECT_EQ(ChangeError(boost::json::serialize(o)), c.message);
  }
  EXPECT_EQ(ChangeError(R"({"format":1})"), "invalid field 'seq': missing");
}

TEST(TaskStateCodecTest, RecordsThatAreNotUtf8AreRefused) {
  boost::json::object o = StateJson();
  o["stopReason"] = "PLACEHOLDER";
  std::string json = absl::StrReplaceAll(boost::json::serialize(o), {{"PLACEHOLDER", "\xFF"}});
  EXPECT_THAT(StateError(json), StartsWith("invalid JSON at offset"));
}

TEST(TaskStateCodecTest, InvalidUtf8IsWrittenAsReplacementCharacters) {
  std::mt19937_64 rng(5);
  TaskState state = RandomState(rng);
  state.containers[0].reason = "CannotPullContainerError: \xFF";
  absl::StatusOr<TaskState> decoded = DecodeTaskState(EncodeTaskState(state));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->containers[0].reason, "CannotPullContainerError: \xEF\xBF\xBD");
}

}  // namespace
}  // namespace berth::agent
