// Every example expression from the ECS developer guide
// (cluster-query-language.md, task-placement-constraints.md) parses and
// selects the instances the guide says it selects.

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/unit/control/scheduler/query/fake_subject.h"

namespace berth::scheduler::query {
namespace {

FakeSubject WithAttributes(std::map<std::string, std::string, std::less<>> attributes) {
  FakeSubject s;
  s.attributes = std::move(attributes);
  return s;
}

FakeSubject WithGroups(std::vector<std::string> groups) {
  FakeSubject s;
  s.groups = std::move(groups);
  s.running_tasks = static_cast<int64_t>(s.groups.size());
  return s;
}

TEST(QueryDocumentedExamples, StringEquality) {
  const char* e = "attribute:ecs.instance-type == t2.small";
  EXPECT_TRUE(Matches(e, WithAttributes({{"ecs.instance-type", "t2.small"}})));
  EXPECT_FALSE(Matches(e, WithAttributes({{"ecs.instance-type", "t2.medium"}})));
  EXPECT_FALSE(Matches(e, WithAttributes({{"ecs.instance-type", "t2.smaller"}})));
  EXPECT_FALSE(Matches(e, FakeSubject{}));
}

TEST(QueryDocumentedExamples, ArgumentList) {
  const char* e = "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]";
  EXPECT_TRUE(Matches(e, WithAttributes({{"ecs.availability-zone", "us-east-1a"}})));
  EXPECT_TRUE(Matches(e, WithAttributes({{"ecs.availability-zone", "us-east-1b"}})));
  EXPECT_FALSE(Matches(e, WithAttributes({{"ecs.availability-zone", "us-east-1c"}})));
  EXPECT_FALSE(Matches(e, FakeSubject{}));
}

TEST(QueryDocumentedExamples, CompoundExpression) {
  const char* e =
      "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d";
  EXPECT_TRUE(Matches(e, WithAttributes({{"ecs.instance-type", "g2.2xlarge"},
                                         {"ecs.availability-zone", "us-east-1a"}})));
  EXPECT_FALSE(Matches(e, WithAttributes({{"ecs.instance-type", "g2.2xlarge"},
                                          {"ecs.availability-zone", "us-east-1d"}})));
  EXPECT_FALSE(Matches(e, WithAttributes({{"ecs.instance-type", "t2.small"},
                                          {"ecs.availability-zone", "us-east-1a"}})));
}

TEST(QueryDocumentedExamples, TaskAffinity) {
  const char* e = "task:group == service:production";
  EXPECT_TRUE(Matches(e, WithGroups({"service:production"})));
  EXPECT_TRUE(Matches(e, WithGroups({"family:web", "service:production"})));
  EXPECT_FALSE(Matches(e, WithGroups({"service:staging"})));
  EXPECT_FALSE(Matches(e, WithGroups({})));
}

TEST(QueryDocumentedExamples, TaskAntiAffinity) {
  const char* e = "not(task:group == database)";
  EXPECT_FALSE(Matches(e, WithGroups({"database"})));
  EXPECT_FALSE(Matches(e, WithGroups({"web", "database"})));
  EXPECT_TRUE(Matches(e, WithGroups({"web"})));
  EXPECT_TRUE(Matches(e, WithGroups({})));
}

TEST(QueryDocumentedExamples, RunningTaskCount) {
  const char* e = "runningTasksCount == 1";
  FakeSubject s;
  s.running_tasks = 1;
  EXPECT_TRUE(Matches(e, s));
  s.running_tasks = 0;
  EXPECT_FALSE(Matches(e, s));
  s.running_tasks = 2;
  EXPECT_FALSE(Matches(e, s));
}

TEST(QueryDocumentedExamples, AgentVersion) {
  const char* e = "agentVersion < 1.14.5";
  FakeSubject s;
  for (const char* below : {"1.14.4", "1.9.0", "1.14", "0.99.99"}) {
    s.version = below;
    EXPECT_TRUE(Matches(e, s)) << below;
  }
  for (const char* not_below : {"1.14.5", "1.14.10", "1.20.0", "2.0"}) {
    s.version = not_below;
    EXPECT_FALSE(Matches(e, s)) << not_below;
  }
}

TEST(QueryDocumentedExamples, RegistrationTime) {
  const char* e = "registeredAt < 2018-02-13";
  FakeSubject s;
  s.registered_at = absl::FromUnixSeconds(1518480000) - absl::Nanoseconds(1);
  EXPECT_TRUE(Matches(e, s));
  s.registered_at = absl::FromUnixSeconds(1518480000);  // 2018-02-13T00:00:00Z
  EXPECT_FALSE(Matches(e, s));
}

TEST(QueryDocumentedExamples, Ec2InstanceIdWithQuotedList) {
  const char* e = "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']";
  FakeSubject s;
  s.ec2_instance_id = "i-abcd1234";
  EXPECT_TRUE(Matches(e, s));
  s.ec2_instance_id = "i-wxyx7890";
  EXPECT_TRUE(Matches(e, s));
  s.ec2_instance_id = "i-0000";
  EXPECT_FALSE(Matches(e, s));
  // The quotes are not part of the values.
  s.ec2_instance_id = "'i-abcd1234'";
  EXPECT_FALSE(Matches(e, s));
}

TEST(QueryDocumentedExamples, DocumentedDateFormatsAllParse) {
  FakeSubject s;  // registered 2018-06-18T22:28:28Z
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18T22:28:28+00:00", s));
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18T22:28:28Z", s));
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18T22:28:28", s));
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18", s));
}

TEST(QueryDocumentedExamples, ListContainerInstancesFilters) {
  FakeSubject g2 = WithAttributes({{"ecs.instance-type", "g2.2xlarge"}});
  EXPECT_TRUE(Matches("attribute:ecs.instance-type == g2.2xlarge", g2));

  FakeSubject prod = WithAttributes({{"stack", "prod"}});
  FakeSubject dev = WithAttributes({{"stack", "dev"}});
  FakeSubject none;
  EXPECT_TRUE(Matches("attribute:stack == prod", prod));
  EXPECT_FALSE(Matches("attribute:stack == prod", dev));
  // "instances with the custom attribute stack unless the value is prod":
  // instances without the attribute are not listed.
  EXPECT_TRUE(Matches("attribute:stack != prod", dev));
  EXPECT_FALSE(Matches("attribute:stack != prod", prod));
  EXPECT_FALSE(Matches("attribute:stack != prod", none));

  const char* in = "attribute:ecs.instance-type in [t2.small, t2.medium]";
  EXPECT_TRUE(Matches(in, WithAttributes({{"ecs.instance-type", "t2.medium"}})));
  EXPECT_FALSE(Matches(in, WithAttributes({{"ecs.instance-type", "t2.large"}})));

  const char* both =
      "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a";
  EXPECT_TRUE(Matches(both, WithAttributes({{"ecs.instance-type", "t2.micro"},
                                            {"ecs.availability-zone", "us-east-1a"}})));
  EXPECT_FALSE(Matches(both, WithAttributes({{"ecs.instance-type", "t3.micro"},
                                             {"ecs.availability-zone", "us-east-1a"}})));
}

TEST(QueryDocumentedExamples, PlacementConstraintExamples) {
  EXPECT_TRUE(Matches("attribute:ecs.instance-type =~ t2.*",
                      WithAttributes({{"ecs.instance-type", "t2.small"}})));
  EXPECT_FALSE(Matches("attribute:ecs.instance-type =~ t2.*",
                       WithAttributes({{"ecs.instance-type", "m5.large"}})));
  EXPECT_TRUE(Matches("task:group == databases", WithGroups({"databases"})));
  EXPECT_FALSE(Matches("task:group == databases", WithGroups({"database"})));
}

TEST(QueryDocumentedExamples, ParenthesesForPrecedence) {
  // The guide's "(expression1 or expression2) and expression3".
  const char* e =
      "(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) "
      "and attribute:ecs.availability-zone == us-east-1a";
  EXPECT_TRUE(Matches(e, WithAttributes({{"ecs.instance-type", "t2.medium"},
                                         {"ecs.availability-zone", "us-east-1a"}})));
  // Without the parentheses this instance would match (and binds tighter).
  EXPECT_FALSE(Matches(e, WithAttributes({{"ecs.instance-type", "t2.small"},
                                          {"ecs.availability-zone", "us-east-1b"}})));
}

}  // namespace
}  // namespace berth::scheduler::query
