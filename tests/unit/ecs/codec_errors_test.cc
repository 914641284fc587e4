// Decoding errors: InvalidArgument naming the field by its full path.

#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "ecs/placement_json.h"
#include "ecs/task_definition_json.h"
#include "ecs/task_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::ecs {
namespace {

template <typename Decode>
absl::Status DecodeText(const char* text, Decode decode, const std::string& path = "") {
  absl::StatusOr<boost::json::value> json = ParseJson(text);
  if (!json.ok()) {
    return json.status();
  }
  return decode(*json, path).status();
}

void ExpectFieldError(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), message);
}

TEST(EcsCodecErrorsTest, WrongTypeDeepInsideNamesThePath) {
  ExpectFieldError(
      DecodeText(R"({"family":"f","containerDefinitions":[{"name":"a"},)"
                 R"({"name":"b","portMappings":[{"containerPort":80},{"hostPort":"80"}]}]})",
                 TaskDefinitionFromJson),
      "invalid field 'containerDefinitions[1].portMappings[1].hostPort': expected a 32-bit "
      "integer, got a string");
}

TEST(EcsCodecErrorsTest, PathPrefixFromTheCaller) {
  ExpectFieldError(DecodeText(R"({"type":"spread","field":7})", PlacementStrategyFromJson,
                              "placementStrategy[2]"),
                   "invalid field 'placementStrategy[2].field': expected a string, got an integer");
}

TEST(EcsCodecErrorsTest, UnknownEnumValueListsTheValidOnes) {
  ExpectFieldError(DecodeText(R"({"family":"f","networkMode":"bridged"})", TaskDefinitionFromJson),
                   "invalid field 'networkMode': expected one of bridge, host, awsvpc, none, got "
                   "\"bridged\"");
  ExpectFieldError(DecodeText(R"({"containerPort":53,"protocol":"sctp"})", PortMappingFromJson),
                   "invalid field 'protocol': expected one of tcp, udp, got \"sctp\"");
  ExpectFieldError(DecodeText(R"({"containerInstanceArn":"a","status":"active"})",
                              ContainerInstanceFromJson),
                   "invalid field 'status': expected one of ACTIVE, DRAINING, INACTIVE, "
                   "REGISTERING, DEREGISTERING, REGISTRATION_FAILED, got \"active\"");
  ExpectFieldError(DecodeText(R"({"type":"closest"})", PlacementStrategyFromJson),
                   "invalid field 'type': expected one of random, spread, binpack, got "
                   "\"closest\"");
}

TEST(EcsCodecErrorsTest, EnumsAreCaseSensitiveLikeEcs) {
  EXPECT_FALSE(DecodeText(R"({"type":"Spread"})", PlacementStrategyFromJson).ok());
  EXPECT_FALSE(DecodeText(R"({"type":"memberof"})", PlacementConstraintFromJson).ok());
}

TEST(EcsCodecErrorsTest, RequiredTypeMissing) {
  ExpectFieldError(DecodeText(R"({"field":"memory"})", PlacementStrategyFromJson),
                   "invalid field 'type': required");
  ExpectFieldError(DecodeText(R"({"value":"x"})", AttributeFromJson),
                   "invalid field 'name': required");
}

TEST(EcsCodecErrorsTest, TaskDefinitionConstraintsAreMemberOfOnly) {
  ExpectFieldError(DecodeText(R"({"family":"f","placementConstraints":[{"type":"memberOf",)"
                              R"("expression":"x"},{"type":"distinctInstance"}]})",
                              TaskDefinitionFromJson),
                   "invalid field 'placementConstraints[1].type': expected memberOf, got "
                   "\"distinctInstance\"");
  // The same constraint is fine in a request.
  EXPECT_TRUE(DecodeText(R"({"type":"distinctInstance"})", PlacementConstraintFromJson).ok());
}

TEST(EcsCodecErrorsTest, IntegerRanges) {
  ExpectFieldError(DecodeText(R"({"name":"a","memory":2147483648})", ContainerDefinitionFromJson),
                   "invalid field 'memory': expected a 32-bit integer, got an integer");
  ExpectFieldError(DecodeText(R"({"name":"a","cpu":1.5})", ContainerDefinitionFromJson),
                   "invalid field 'cpu': expected a 32-bit integer, got a number");
  // A whole number written as a double is a number all the same.
  EXPECT_TRUE(DecodeText(R"({"name":"a","cpu":1024.0})", ContainerDefinitionFromJson).ok());
  EXPECT_TRUE(DecodeText(R"({"name":"LONG","type":"LONG","longValue":9007199254740993})",
                         ResourceFromJson)
                  .ok());
}

TEST(EcsCodecErrorsTest, WrongContainerTypes) {
  ExpectFieldError(DecodeText(R"([1,2])", TaskFromJson),
                   "invalid document: expected an object, got a list");
  ExpectFieldError(DecodeText(R"({"containerInstanceArn":"a","attributes":{"name":"x"}})",
                              ContainerInstanceFromJson),
                   "invalid field 'attributes': expected a list");
  ExpectFieldError(DecodeText(R"({"containerInstanceArn":"a","attributes":["x"]})",
                              ContainerInstanceFromJson),
                   "invalid field 'attributes[0]': expected an object, got a string");
  ExpectFieldError(DecodeText(R"({"containerInstanceArn":"a","agentConnected":"true"})",
                              ContainerInstanceFromJson),
                   "invalid field 'agentConnected': expected a boolean, got a string");
  ExpectFieldError(DecodeText(R"({"name":"PORTS","stringSetValue":["22",23]})", ResourceFromJson),
                   "invalid field 'stringSetValue[1]': expected a string, got an integer");
  ExpectFieldError(DecodeText(R"({"containerInstanceArn":"a","versionInfo":{"agentVersion":1}})",
                              ContainerInstanceFromJson),
                   "invalid field 'versionInfo.agentVersion': expected a string, got an integer");
}

TEST(EcsCodecErrorsTest, BadTimestamps) {
  ExpectFieldError(DecodeText(R"({"taskArn":"t","createdAt":"2020-01-01"})", TaskFromJson),
                   "invalid field 'createdAt': expected a timestamp in seconds since the epoch, "
                   "got a string");
  EXPECT_FALSE(DecodeText(R"({"taskArn":"t","createdAt":1e300})", TaskFromJson).ok());
}

TEST(EcsCodecErrorsTest, AppProtocolAndLaunchTypeAreEnums) {
  EXPECT_FALSE(DecodeText(R"({"appProtocol":"ftp"})", PortMappingFromJson).ok());
  EXPECT_FALSE(DecodeText(R"({"taskArn":"t","launchType":"ec2"})", TaskFromJson).ok());
  EXPECT_FALSE(DecodeText(R"({"family":"f","status":"DELETED"})", TaskDefinitionFromJson).ok());
}

TEST(EcsCodecErrorsTest, MalformedText) {
  absl::StatusOr<boost::json::value> v = ParseJson(R"({"a":1)");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()), ::testing::StartsWith("invalid JSON at offset"));
  EXPECT_FALSE(ParseJson(R"({"a":1} {"b":2})").ok());
  EXPECT_FALSE(ParseJson("").ok());
  EXPECT_TRUE(ParseJson(R"( {"a":1} )").ok());
}

// Found by fuzz_ecs_codec: Boost.JSON 1.81 parses "0E477" as NaN and
// "1E400" as infinity, which serialize to text that is not JSON; a stored
// record holding one would never load again.
TEST(EcsCodecErrorsTest, NumbersADoubleCannotHoldAreRefused) {
  for (const char* text : {R"({"a":0E477})", R"({"a":[1,{"b":1E400}]})", R"(-1e999)"}) {
    absl::StatusOr<boost::json::value> v = ParseJson(text);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(v.status().message()), ::testing::HasSubstr("outside the range"))
        << text;
  }
  EXPECT_TRUE(ParseJson(R"({"a":1.5e300,"b":0E10,"c":-0.0})").ok());
}

}  // namespace
}  // namespace berth::ecs
