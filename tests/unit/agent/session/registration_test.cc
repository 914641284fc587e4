#include "agent/session/registration.h"

#include <optional>
#include <string>

#include "agent/session/control_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/session/session_test_base.h"

namespace berth::agent {
namespace {

using testing::SessionTestBase;

constexpr char kSavedArn[] = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/saved";
constexpr char kBody[] = R"({"cluster":"default","totalResources":[]})";

class RegistrationTest : public SessionTestBase {
 protected:
  void Start() {
    registration_ = std::make_unique<Registration>(loop_, *client_, *store_, rng_);
    registration_->Register(kBody, [this](absl::StatusOr<RegisteredInstance> r) { result_ = r; });
    loop_.RunUntilIdle();
  }

  std::unique_ptr<Registration> registration_;
  std::optional<absl::StatusOr<RegisteredInstance>> result_;
};

TEST_F(RegistrationTest, FirstRegistrationSavesTheReturnedArn) {
  Start();
  ASSERT_TRUE(result_.has_value() && result_->ok()) << result_->status();
  const std::string arn =
      "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef";
  EXPECT_EQ((*result_)->arn, arn);
  auto body = plane_.Calls("RegisterContainerInstance").at(0).body.as_object();
  EXPECT_FALSE(body.contains("containerInstanceArn"));
  EXPECT_EQ(body["cluster"], "default");
  OpenStore();  // as after a restart
  EXPECT_EQ(store_->container_instance_arn(), arn);
}

TEST_F(RegistrationTest, ReregistersWithTheSavedArn) {
  ASSERT_TRUE(store_->SaveInstanceArn(kSavedArn).ok());
  Start();
  ASSERT_TRUE(result_.has_value() && result_->ok());
  EXPECT_EQ((*result_)->arn, kSavedArn);
  auto body = plane_.Calls("RegisterContainerInstance").at(0).body.as_object();
  EXPECT_EQ(body["containerInstanceArn"], kSavedArn);
  EXPECT_EQ(body["totalResources"], boost::json::array());
}

TEST_F(RegistrationTest, TransientErrorsAreRetriedWithGrowingBackoff) {
  plane_.ScriptError("RegisterContainerInstance", 500, "ServerException");
  plane_.ScriptError("RegisterContainerInstance", 400, "ThrottlingException");
  Start();
  EXPECT_FALSE(result_.has_value());
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 1u);
  // First retry after 3 s + up to 20 %.
  loop_.AdvanceTime(absl::Seconds(3) - absl::Milliseconds(1));
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 1u);
  loop_.AdvanceTime(absl::Seconds(0.6) + absl::Milliseconds(1));
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 2u);
  // Second after 6 s + up to 20 %.
  loop_.AdvanceTime(absl::Seconds(6) - absl::Milliseconds(1));
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 2u);
  loop_.AdvanceTime(absl::Seconds(1.2) + absl::Milliseconds(1));
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 3u);
  ASSERT_TRUE(result_.has_value() && result_->ok()) << result_->status();
  EXPECT_EQ(registration_->attempts(), 3);
  EXPECT_EQ(store_->container_instance_arn(), (*result_)->arn);
}

TEST_F(RegistrationTest, ConnectionFailuresAreRetriedToo) {
  transport_.FailNext(2);
  Start();
  loop_.AdvanceTime(absl::Seconds(12));
  ASSERT_TRUE(result_.has_value() && result_->ok()) << result_->status();
  EXPECT_EQ(registration_->attempts(), 3);
}

TEST_F(RegistrationTest, TerminalErrorEndsAtOnceWithExitCode5) {
  plane_.ScriptError("RegisterContainerInstance", 400, "ClientException", "bad attributes");
  Start();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EcsErrorName(result_->status()), "ClientException");
  EXPECT_EQ(RegistrationExitCode(result_->status()), kExitTerminal);
  EXPECT_EQ(registration_->attempts(), 1);
  loop_.AdvanceTime(absl::Minutes(10));
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 1u);
  EXPECT_EQ(store_->container_instance_arn(), "");
}

TEST_F(RegistrationTest, GivesUpOnTransientErrorsAfterAnHour) {
  for (int i = 0; i < 100; ++i) {
    plane_.ScriptError("RegisterContainerInstance", 500, "ServerException");
  }
  Start();
  loop_.AdvanceTime(absl::Minutes(59));
  EXPECT_FALSE(result_.has_value());
  loop_.AdvanceTime(absl::Minutes(2));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RegistrationExitCode(result_->status()), 1);
  // 3+6+...+192 s ≈ 6.3 min, then every 192 s(+20 %) until the hour is up.
  EXPECT_GT(registration_->attempts(), 20);
  EXPECT_LT(registration_->attempts(), 30);
}

TEST_F(RegistrationTest, ABodyThatIsNotAnObjectIsTerminal) {
  registration_ = std::make_unique<Registration>(loop_, *client_, *store_, rng_);
  registration_->Register("[1]", [this](absl::StatusOr<RegisteredInstance> r) { result_ = r; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plane_.CallCount("RegisterContainerInstance"), 0u);
}

}  // namespace
}  // namespace berth::agent
