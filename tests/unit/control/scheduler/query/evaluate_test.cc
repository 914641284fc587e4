// Semantics per subject: string equality, numeric counts, version and time
// ordering, attribute presence, task groups and full-match regexes.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/unit/control/scheduler/query/fake_subject.h"

namespace berth::scheduler::query {
namespace {

TEST(QueryAgentConnected, ComparesAsTrueOrFalse) {
  FakeSubject on;
  FakeSubject off;
  off.connected = false;
  EXPECT_TRUE(Matches("agentConnected == true", on));
  EXPECT_FALSE(Matches("agentConnected == true", off));
  EXPECT_TRUE(Matches("agentConnected != true", off));
  EXPECT_TRUE(Matches("agentConnected equals false", off));
  EXPECT_TRUE(Matches("agentConnected in [false]", off));
  EXPECT_FALSE(Matches("agentConnected in [false]", on));
  EXPECT_TRUE(Matches("agentConnected !in [false]", on));
  EXPECT_TRUE(Matches("agentConnected =~ t.*", on));
  EXPECT_FALSE(Matches("agentConnected =~ t.*", off));
  EXPECT_TRUE(Matches("agentConnected !~ t.*", off));
}

TEST(QueryAgentVersion, ComparesNumericallyByComponent) {
  FakeSubject s;
  s.version = "1.14.5";
  EXPECT_TRUE(Matches("agentVersion == 1.14.5", s));
  EXPECT_TRUE(Matches("agentVersion == 1.14.5.0", s));
  EXPECT_TRUE(Matches("agentVersion == 01.014.5", s));
  EXPECT_FALSE(Matches("agentVersion != 1.14.5", s));
  EXPECT_TRUE(Matches("agentVersion > 1.9", s));   // 14 > 9, not "1.1" < "1.9"
  EXPECT_TRUE(Matches("agentVersion >= 1.14.5", s));
  EXPECT_FALSE(Matches("agentVersion > 1.14.5", s));
  EXPECT_TRUE(Matches("agentVersion < 1.14.10", s));
  EXPECT_TRUE(Matches("agentVersion <= 1.14.5", s));
  EXPECT_TRUE(Matches("agentVersion greater_than 1", s));
  EXPECT_TRUE(Matches("agentVersion less_than 2", s));
  s.version = "1.14";
  EXPECT_TRUE(Matches("agentVersion == 1.14.0", s));
  EXPECT_TRUE(Matches("agentVersion < 1.14.1", s));
}

TEST(QueryAgentVersion, SuffixesAreIgnoredAndUnreadableVersionsMatchNothing) {
  FakeSubject s;
  s.version = "1.14.5-rc1";
  EXPECT_TRUE(Matches("agentVersion == 1.14.5", s));
  for (const char* unreadable : {"", "dev", "v1.2"}) {
    s.version = unreadable;
    for (const char* e : {"agentVersion == 1", "agentVersion != 1", "agentVersion < 9",
                          "agentVersion >= 0"}) {
      EXPECT_FALSE(Matches(e, s)) << e << " on '" << unreadable << "'";
    }
    EXPECT_TRUE(Matches("not agentVersion == 1", s));
  }
}

TEST(QueryEc2InstanceId, StringOperatorsAndAbsentId) {
  FakeSubject s;
  s.ec2_instance_id = "i-0abc";
  EXPECT_TRUE(Matches("ec2InstanceId == i-0abc", s));
  EXPECT_TRUE(Matches("ec2InstanceId != i-0abd", s));
}

TEST(QueryEc2InstanceId, RegexAndLists) {
  FakeSubject s;
  s.ec2_instance_id = "i-0abc";
  EXPECT_TRUE(Matches("ec2InstanceId =~ 'i-0[a-f]+'", s));
  EXPECT_FALSE(Matches("ec2InstanceId =~ i-0", s));
  EXPECT_TRUE(Matches("ec2InstanceId not_in [i-1, i-2]", s));
  // An external instance has no EC2 id: like a missing attribute, no
  // comparison holds, not even !=.
  s.ec2_instance_id = "";
  for (const char* e : {"ec2InstanceId == ''", "ec2InstanceId != i-1", "ec2InstanceId !in [i-1]",
                        "ec2InstanceId !~ i-.*"}) {
    EXPECT_FALSE(Matches(e, s)) << e;
  }
}

TEST(QueryRegisteredAt, DatesAreIntervalsOfTheirPrecision) {
  FakeSubject s;  // 2018-06-18T22:28:28Z
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18", s));
  EXPECT_FALSE(Matches("registeredAt != 2018-06-18", s));
  EXPECT_FALSE(Matches("registeredAt > 2018-06-18", s));
  EXPECT_TRUE(Matches("registeredAt >= 2018-06-18", s));
  EXPECT_TRUE(Matches("registeredAt <= 2018-06-18", s));
  EXPECT_FALSE(Matches("registeredAt < 2018-06-18", s));
  EXPECT_TRUE(Matches("registeredAt > 2018-06-17", s));
  EXPECT_TRUE(Matches("registeredAt < 2018-06-19", s));
  EXPECT_FALSE(Matches("registeredAt == 2018-06-19", s));
  EXPECT_TRUE(Matches("registeredAt > 2018-06-18T22:28:27Z", s));
  EXPECT_FALSE(Matches("registeredAt > 2018-06-18T22:28:28Z", s));
  EXPECT_TRUE(Matches("registeredAt < 2018-06-18T22:28:29", s));
  // Offsets: the same instant written in other zones.
  EXPECT_TRUE(Matches("registeredAt == 2018-06-19T00:28:28+02:00", s));
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18T20:58:28-01:30", s));
  EXPECT_FALSE(Matches("registeredAt == 2018-06-18T22:28:28+01:00", s));
  // Sub-second registration times fall in their second.
  s.registered_at += absl::Milliseconds(999);
  EXPECT_TRUE(Matches("registeredAt == 2018-06-18T22:28:28Z", s));
  EXPECT_TRUE(Matches("registeredAt < 2018-06-18T22:28:29Z", s));
}

TEST(QueryRunningTasksCount, ComparesNumbers) {
  FakeSubject s;
  s.running_tasks = 10;
  EXPECT_TRUE(Matches("runningTasksCount > 9", s));
  EXPECT_TRUE(Matches("runningTasksCount >= 10", s));
  EXPECT_FALSE(Matches("runningTasksCount < 10", s));
  EXPECT_TRUE(Matches("runningTasksCount <= 10", s));
  EXPECT_TRUE(Matches("runningTasksCount != 1", s));
  EXPECT_TRUE(Matches("runningTasksCount == 010", s));
  EXPECT_TRUE(Matches("runningTasksCount < 9223372036854775807", s));
}

TEST(QueryAttributes, MissingAttributeSatisfiesOnlyNotExists) {
  FakeSubject none;
  for (const char* e :
       {"attribute:x == a", "attribute:x != a", "attribute:x > a", "attribute:x <= a",
        "attribute:x in [a]", "attribute:x !in [a]", "attribute:x =~ .*", "attribute:x !~ a",
        "attribute:x exists"}) {
    EXPECT_FALSE(Matches(e, none)) << e;
  }
  EXPECT_TRUE(Matches("attribute:x !exists", none));
  EXPECT_TRUE(Matches("not attribute:x == a", none));
}

TEST(QueryAttributes, ValuelessAttributeExistsAndEqualsEmpty) {
  FakeSubject s;
  s.attributes["ecs.capability.external"] = "";
  EXPECT_TRUE(Matches("attribute:ecs.capability.external exists", s));
  EXPECT_TRUE(Matches("attribute:ecs.capability.external == ''", s));
  EXPECT_TRUE(Matches("attribute:ecs.capability.external =~ ''", s));
  EXPECT_FALSE(Matches("attribute:ecs.capability.external == x", s));
}

TEST(QueryAttributes, OrderingIsNumericForNumbersElseBytewise) {
  FakeSubject s;
  s.attributes["gpus"] = "10";
  EXPECT_TRUE(Matches("attribute:gpus > 9", s));  // bytewise "10" < "9"
  EXPECT_TRUE(Matches("attribute:gpus >= 10.0", s));
  EXPECT_TRUE(Matches("attribute:gpus < 10.5", s));
  EXPECT_TRUE(Matches("attribute:gpus > -3", s));
  s.attributes["gpus"] = "1.5";
  EXPECT_TRUE(Matches("attribute:gpus > 1.10", s));
  s.attributes["type"] = "t2.small";
  EXPECT_TRUE(Matches("attribute:type > m5", s));
  EXPECT_TRUE(Matches("attribute:type < t3", s));
  EXPECT_FALSE(Matches("attribute:type < t2", s));
  // Equality stays string equality: "10" and "10.0" differ.
  s.attributes["gpus"] = "10";
  EXPECT_FALSE(Matches("attribute:gpus == 10.0", s));
}

TEST(QueryRegex, WholeValueMustMatch) {
  FakeSubject s;
  s.attributes["type"] = "t2.small";
  EXPECT_TRUE(Matches("attribute:type =~ t2.*", s));
  EXPECT_TRUE(Matches("attribute:type =~ .*small", s));
  EXPECT_FALSE(Matches("attribute:type =~ t2", s));
  EXPECT_FALSE(Matches("attribute:type =~ 2.sm", s));
  EXPECT_TRUE(Matches("attribute:type !~ t2", s));
  EXPECT_FALSE(Matches("attribute:type !~ t2.*", s));
  EXPECT_FALSE(Matches("attribute:type =~ T2.*", s));
  EXPECT_TRUE(Matches("attribute:type =~ '(?i)T2.*'", s));
  EXPECT_TRUE(Matches("attribute:type =~ 't\\d\\.(micro|small)'", s));
  EXPECT_TRUE(Matches("attribute:type matches '[a-z]\\d\\..{5}'", s));
  // An alternation is anchored as a whole, as in Java's matches().
  EXPECT_FALSE(Matches("attribute:type =~ 't2|small'", s));
}

TEST(QueryRegex, MatchingIsLinearTime) {
  // (a*)*b backtracks exponentially in Java's engine; RE2 answers at once.
  FakeSubject s;
  s.attributes["v"] = std::string(100000, 'a');
  absl::Time start = absl::Now();
  EXPECT_FALSE(Matches("attribute:v =~ '(a*)*b'", s));
  EXPECT_TRUE(Matches("attribute:v =~ '(a|aa)*'", s));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(QueryTaskGroup, PositiveOperatorsMeanSomeTaskNegativesMeanNone) {
  FakeSubject empty;
  FakeSubject web;
  web.groups = {"service:web", "family:batch"};
  EXPECT_TRUE(Matches("task:group == service:web", web));
  EXPECT_FALSE(Matches("task:group != service:web", web));
  EXPECT_TRUE(Matches("task:group != service:db", web));
  EXPECT_TRUE(Matches("task:group != service:db", empty));
  EXPECT_FALSE(Matches("task:group == service:web", empty));
  EXPECT_TRUE(Matches("task:group in [service:db, family:batch]", web));
  EXPECT_FALSE(Matches("task:group !in [service:db, family:batch]", web));
  EXPECT_TRUE(Matches("task:group !in [service:db]", web));
  EXPECT_TRUE(Matches("task:group =~ service:.*", web));
  EXPECT_FALSE(Matches("task:group !~ service:.*", web));
  EXPECT_TRUE(Matches("task:group !~ service:d.*", web));
  EXPECT_FALSE(Matches("task:group =~ service", web));  // full match
  EXPECT_TRUE(Matches("task:group exists", web));
  EXPECT_FALSE(Matches("task:group exists", empty));
  EXPECT_TRUE(Matches("task:group !exists", empty));
  // "!=" is exactly the documented anti-affinity not(task:group == X).
  for (const FakeSubject* s : {&empty, &web}) {
    for (const char* g : {"service:web", "service:db", "family:batch"}) {
      EXPECT_EQ(Matches(absl::StrCat("task:group != ", g), *s),
                Matches(absl::StrCat("not(task:group == ", g, ")"), *s));
    }
  }
}

}  // namespace
}  // namespace berth::scheduler::query
