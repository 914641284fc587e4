// RegisterTaskDefinition's checks (reference §3.6), revisions, lookup,
// paging and deregistration.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/api/paging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/fake_store.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Json;

constexpr char kArn[] = "arn:aws:ecs:us-east-1:000000000000:task-definition/";

// A RegisterTaskDefinition body: `containers` is the JSON list, `extra`
// more top-level members (",\"cpu\":\"256\"").
std::string Body(const std::string& family, const std::string& containers,
                 const std::string& extra = "") {
  return absl::StrCat(R"({"family":")", family, R"(","containerDefinitions":)", containers,
                      extra, "}");
}
std::string App(const std::string& members = R"("memory":128)") {
  return absl::StrCat(R"([{"name":"app","image":"nginx:1.25",)", members, "}]");
}

class TaskDefinitionOpsTest : public ::testing::Test {
 protected:
  std::string Register(std::string_view body) { return h_.Error("RegisterTaskDefinition", body); }
  std::vector<std::string> Arns(const boost::json::object& out) {
    std::vector<std::string> arns;
    for (const auto& a : out.at("taskDefinitionArns").as_array()) {
      arns.emplace_back(a.as_string());
    }
    return arns;
  }
  testing::OpHarness h_;
};

TEST_F(TaskDefinitionOpsTest, RegisterAnswersTheModelsShapeAndWritesOneRecord) {
  boost::json::object out = h_.Ok(
      "RegisterTaskDefinition",
      Body("web", App(R"("memory":128,"portMappings":[{"containerPort":80}],"command":["x"])"),
           R"(,"tags":[{"key":"team","value":"core"}],"volumes":[{"name":"v"}],"bogus":1)"));
  const boost::json::object& td = out.at("taskDefinition").as_object();
  EXPECT_EQ(td.at("taskDefinitionArn").as_string(), absl::StrCat(kArn, "web:1"));
  EXPECT_EQ(td.at("revision").as_int64(), 1);
  EXPECT_EQ(td.at("status").as_string(), "ACTIVE");
  EXPECT_EQ(td.at("registeredBy").as_string(), "arn:aws:iam::000000000000:root");
  EXPECT_TRUE(td.contains("registeredAt"));
  EXPECT_EQ(Json(td.at("compatibilities")), R"(["EXTERNAL","EC2"])");
  EXPECT_EQ(Json(td.at("volumes")), R"([{"name":"v"}])");
  EXPECT_FALSE(td.contains("bogus")) << "members the model does not have are ignored";
  const boost::json::object& c = td.at("containerDefinitions").at(0).as_object();
  EXPECT_EQ(c.at("essential").as_bool(), true);
  EXPECT_EQ(Json(c.at("command")), R"(["x"])");
  EXPECT_EQ(Json(out.at("tags")), R"([{"key":"team","value":"core"}])");
  ASSERT_EQ(h_.changes().size(), 1u);
  EXPECT_EQ(h_.changes().mutations()[0].table, "task_definitions");
  EXPECT_EQ(h_.changes().mutations()[0].key, "web:1");
}

TEST_F(TaskDefinitionOpsTest, RevisionsIncreasePerFamilyAndAreNeverReused) {
  for (int i = 0; i < 3; ++i) {
    h_.Ok("RegisterTaskDefinition", Body("web", App()));
  }
  h_.Ok("RegisterTaskDefinition", Body("db", App()));
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:3"})");
  boost::json::object out = h_.Ok("RegisterTaskDefinition", Body("web", App()));
  EXPECT_EQ(out.at("taskDefinition").at("revision").as_int64(), 4);
  out = h_.Ok("RegisterTaskDefinition", Body("db", App()));
  EXPECT_EQ(out.at("taskDefinition").at("revision").as_int64(), 2);
}

TEST_F(TaskDefinitionOpsTest, DerivesRequiresAttributes) {
  boost::json::object out = h_.Ok(
      "RegisterTaskDefinition",
      Body("web",
           R"([{"name":"a","image":"i","memory":64,"logConfiguration":{"logDriver":"awslogs"},
                "healthCheck":{"command":["true"]}},
               {"name":"b","image":"i","memory":64,"dependsOn":[{"containerName":"a","condition":"HEALTHY"}]}])",
           R"(,"networkMode":"awsvpc","taskRoleArn":"arn:aws:iam::000000000000:role/r")"));
  std::vector<std::string> names;
  for (const auto& a : out.at("taskDefinition").at("requiresAttributes").as_array()) {
    names.emplace_back(a.at("name").as_string());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("com.amazonaws.ecs.capability.logging-driver.awslogs",
                                            "com.amazonaws.ecs.capability.task-iam-role",
                                            "ecs.capability.container-health-check",
                                            "ecs.capability.container-ordering",
                                            "ecs.capability.task-eni"));
}

struct Rule {
  std::string body;
  std::string error;  // "Type: message", or "OK"
};

TEST_F(TaskDefinitionOpsTest, EachRuleRejectsWithItsTypeAndMessageAndAcceptsItsBoundary) {
  std::vector<std::string> containers, constraints;
  for (int i = 0; i < 10; ++i) {
    containers.push_back(absl::StrCat(R"({"name":"c)", i, R"(","image":"i","memory":8})"));
    constraints.push_back(R"({"type":"memberOf","expression":"attribute:stack == prod"})");
  }
  const std::string c10 = absl::StrJoin(containers, ",");
  const std::string c11 = absl::StrCat(c10, R"(,{"name":"c10","image":"i","memory":8})");
  const std::string pc10 = absl::StrJoin(constraints, ",");
  const std::string pc11 = absl::StrCat(pc10, ",", constraints[0]);
  const std::string name255(255, 'a'), name256(256, 'a');
  const std::string client = "ClientException: ";
  const std::string invalid = "InvalidParameterException: ";
  const std::vector<Rule> rules = {
      // family
      {Body(name255, App()), "OK"},
      {Body(name256, App()),
       client + "Family contains invalid characters. Up to 255 letters (uppercase and "
                "lowercase), numbers, hyphens, and underscores are allowed."},
      {Body("web.1", App()), client + "Family contains invalid characters. Up to 255 letters "
                                      "(uppercase and lowercase), numbers, hyphens, and "
                                      "underscores are allowed."},
      {Body("", App()), client + "Family should not be null or empty."},
      {R"({"containerDefinitions":[]})", invalid + "Missing required parameter 'family'."},
      {R"({"family":"web"})", invalid + "Missing required parameter 'containerDefinitions'."},
      // containers
      {Body("web", "[]"), client + "Container list cannot be empty."},
      {Body("web", absl::StrCat("[", c10, "]")), "OK"},
      {Body("web", absl::StrCat("[", c11, "]")),
       client + "Too many containers. A task definition can have at most 10 containers; this "
                "one has 11."},
      {Body("web", R"([{"image":"i","memory":8}])"),
       client + "Container.name should not be null or empty."},
      {Body("web", R"([{"name":"a","memory":8}])"),
       client + "Container.image should not be null or empty."},
      {Body("web", absl::StrCat(R"([{"name":")", name255, R"(","image":"i","memory":8}])")),
       "OK"},
      {Body("web", R"([{"name":"a b","image":"i","memory":8}])"),
       client + "Invalid container name 'a b'. Up to 255 letters (uppercase and lowercase), "
                "numbers, hyphens, and underscores are allowed."},
      {Body("web", R"([{"name":"a","image":"i","memory":8},{"name":"a","image":"i","memory":8}])"),
       client + "Duplicate container name 'a'. Container names must be unique within a task "
                "definition."},
      {Body("web", R"([{"name":"a","image":"reg.io:5000/x/y:1.0@sha256:ab#1","memory":8}])"),
       "OK"},
      {Body("web", R"([{"name":"a","image":"nginx latest","memory":8}])"),
       client + "Invalid image 'nginx latest' for container 'a'. Up to 255 letters (uppercase "
                "and lowercase), numbers, hyphens, underscores, colons, periods, forward "
                "slashes, number signs and @ are allowed."},
      {Body("web", absl::StrCat(R"([{"name":"a","image":")", std::string(256, 'i'),
                                R"(","memory":8}])")),
       client + "Invalid image '" + std::string(64, 'i') +
           "...' for container 'a'. Up to 255 letters (uppercase and lowercase), numbers, "
           "hyphens, underscores, colons, periods, forward slashes, number signs and @ are "
           "allowed."},
      // memory
      {Body("web", App("\"cpu\":10")),
       client + "Invalid setting for container 'app'. At least one of 'memory' or "
                "'memoryReservation' must be specified."},
      {Body("web", App("\"cpu\":10"), R"(,"memory":"512")"), "OK"},
      {Body("web", App(R"("memoryReservation":64)")), "OK"},
      {Body("web", App(R"("memory":6)")), "OK"},
      {Body("web", App(R"("memory":5)")),
       client + "Invalid 'memory' setting for container 'app'. The minimum is 6 MiB."},
      {Body("web", App(R"("memoryReservation":5)")),
       client + "Invalid 'memoryReservation' setting for container 'app'. The minimum is 6 MiB."},
      {Body("web", App(R"("memory":129,"memoryReservation":128)")), "OK"},
      {Body("web", App(R"("memory":128,"memoryReservation":128)")),
       client + "Invalid setting for container 'app'. 'memory' must be greater than "
                "'memoryReservation'."},
      {Body("web", App(R"("memory":1024)"), R"(,"memory":"1 GB")"), "OK"},
      {Body("web", App(R"("memory":1025)"), R"(,"memory":"1 GB")"),
       client + "The 'memory' setting for container 'app' is greater than for the task."},
      {Body("web", R"([{"name":"a","image":"i","memory":600},{"name":"b","image":"i","memory":600}])",
            R"(,"memory":"1024")"),
       client + "The containers reserve 1200 MiB of memory, more than the task's 1024 MiB."},
      {Body("web", App(), R"(,"memory":"lots")"),
       client + "Invalid 'memory' setting for task: 'lots'. Use MiB (\"2048\") or GB (\"2 GB\"), "
                "at least 6 MiB."},
      // task cpu (EC2)
      {Body("web", App(), R"(,"cpu":"128")"), "OK"},
      {Body("web", App(), R"(,"cpu":"10 vCPU")"), "OK"},
      {Body("web", App(), R"(,"cpu":"127")"),
       client + "Invalid 'cpu' setting for task. The task cpu must be between 128 and 10240 "
                "CPU units; got 127."},
      {Body("web", App(), R"(,"cpu":"10241")"),
       client + "Invalid 'cpu' setting for task. The task cpu must be between 128 and 10240 "
                "CPU units; got 10241."},
      {Body("web", App(), R"(,"cpu":"fast")"),
       client + "Invalid 'cpu' setting for task: 'fast'. Use CPU units (\"1024\") or vCPUs "
                "(\"1 vCPU\")."},
      {Body("web", App(R"("memory":128,"cpu":512)"), R"(,"cpu":"256")"),
       client + "The 'cpu' setting for container 'app' is greater than for the task."},
      // essential
      {Body("web", App(R"("memory":128,"essential":false)")),
       client + "A task definition must have at least one essential container."},
      {Body("web", R"([{"name":"a","image":"i","memory":8,"essential":false},{"name":"b","image":"i","memory":8}])"),
       "OK"},
      // network mode and port mappings
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80,"hostPort":80}])"),
            R"(,"networkMode":"host")"),
       "OK"},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80}])"),
            R"(,"networkMode":"host")"),
       "OK"},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80,"hostPort":8080}])"),
            R"(,"networkMode":"host")"),
       client + "When networkMode=host, the host ports and container ports in port mappings "
                "must match."},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80,"hostPort":8080}])"),
            R"(,"networkMode":"awsvpc")"),
       client + "When networkMode=awsvpc, the host ports and container ports in port mappings "
                "must match."},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"udp"}])")),
       "OK"},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80}])"),
            R"(,"networkMode":"none")"),
       client + "Invalid setting for container 'app'. Port mappings are not supported when "
                "networkMode=none."},
      {Body("web", App(R"("memory":8)"), R"(,"networkMode":"none")"), "OK"},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":80,"protocol":"sctp"}])")),
       invalid + "Invalid value for 'containerDefinitions[0].portMappings[0].protocol': "
                 "expected one of tcp, udp, got \"sctp\"."},
      {Body("web", App(R"("memory":8,"portMappings":[{"hostPort":80}])")),
       client + "Invalid port mapping for container 'app'. containerPort must be between 1 and "
                "65535."},
      {Body("web", App(R"("memory":8,"portMappings":[{"containerPort":65536}])")),
       client + "Invalid port mapping for container 'app'. containerPort must be between 1 and "
                "65535."},
      {Body("web", App(), R"(,"networkMode":"nat")"),
       invalid + "Invalid value for 'networkMode': expected one of bridge, host, awsvpc, none, "
                 "got \"nat\"."},
      // requiresCompatibilities
      {Body("web", App(), R"(,"requiresCompatibilities":["EC2","EXTERNAL"])"), "OK"},
      {Body("web", App(), R"(,"requiresCompatibilities":["LAMBDA"])"),
       client + "Invalid requiresCompatibilities value 'LAMBDA'. Valid values are EC2, FARGATE "
                "and EXTERNAL."},
      {Body("web", App(), R"(,"requiresCompatibilities":["FARGATE"])"),
       client + "Fargate only supports network mode 'awsvpc'."},
      {Body("web", App(), R"(,"requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc")"),
       client + "Fargate requires that 'cpu' and 'memory' be defined at the task level."},
      {Body("web", App(),
            R"(,"requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc","cpu":"256","memory":"1536")"),
       client + "No Fargate configuration exists for given values: 256 CPU, 1536 memory."},
      {Body("web", App(),
            R"(,"requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc","cpu":"1 vCPU","memory":"3 GB")"),
       "OK"},
      // dependsOn
      {Body("web", R"([{"name":"a","image":"i","memory":8},{"name":"b","image":"i","memory":8,"dependsOn":[{"containerName":"a","condition":"START"}]}])"),
       "OK"},
      {Body("web", App(R"("memory":8,"dependsOn":[{"containerName":"db","condition":"START"}])")),
       client + "Container 'app' depends on container 'db', which is not another container of "
                "this task definition."},
      {Body("web", R"([{"name":"a","image":"i","memory":8},{"name":"b","image":"i","memory":8,"dependsOn":[{"containerName":"a","condition":"READY"}]}])"),
       client + "Invalid dependency condition 'READY' for container 'b'. Valid values are START, "
                "COMPLETE, SUCCESS and HEALTHY."},
      {Body("web", R"([{"name":"a","image":"i","memory":8},{"name":"b","image":"i","memory":8,"dependsOn":[{"containerName":"a","condition":"HEALTHY"}]}])"),
       client + "Container 'b' depends on container 'a' being HEALTHY, but that container has "
                "no healthCheck."},
      {Body("web", R"([{"name":"a","image":"i","memory":8,"dependsOn":[{"containerName":"b","condition":"START"}]},{"name":"b","image":"i","memory":8,"dependsOn":[{"containerName":"a","condition":"START"}]}])"),
       client + "The container dependencies of container 'a' form a cycle."},
      {Body("web", App(R"("memory":8,"dependsOn":[{"containerName":"app"}])")),
       invalid + "Missing required parameter 'containerDefinitions[0].dependsOn[0].condition'."},
      // placement constraints
      {Body("web", App(), absl::StrCat(R"(,"placementConstraints":[)", pc10, "]")), "OK"},
      {Body("web", App(), absl::StrCat(R"(,"placementConstraints":[)", pc11, "]")),
       invalid + "Too many placement constraints. A task definition can have at most 10; this "
                 "one has 11."},
      {Body("web", App(),
            R"(,"placementConstraints":[{"type":"memberOf","expression":"attribute:ecs.instance-type =~ t2.* and"}])"),
       invalid + "placementConstraints[0].expression 'attribute:ecs.instance-type =~ t2.* and' "
                 "is not valid: invalid expression at position 40: expected a subject, 'not' "
                 "or '(' after 'and'"},
      {Body("web", App(), R"(,"placementConstraints":[{"type":"memberOf"}])"),
       invalid + "placementConstraints[0]: a memberOf constraint needs an expression."},
      {Body("web", App(), R"(,"placementConstraints":[{"type":"distinctInstance"}])"),
       invalid + "Invalid value for 'placementConstraints[0].type': expected memberOf, got "
                 "\"distinctInstance\"."},
      // types and tags
      {Body("web", App(R"("memory":"128")")),
       "SerializationException: Invalid type for 'containerDefinitions[0].memory': expected a "
       "32-bit integer, got a string."},
      {Body("web", R"({"name":"a"})"),
       "SerializationException: Invalid type for 'containerDefinitions': expected a list."},
      {Body("web", App(), R"(,"tags":[{"key":"aws:x","value":"1"}])"),
       invalid + "Tag key 'aws:x' uses the prefix 'aws:', which is reserved for AWS use."},
  };
  for (const Rule& rule : rules) {
    EXPECT_EQ(Register(rule.body), rule.error) << rule.body;
  }
}

TEST_F(TaskDefinitionOpsTest, DescribeByFamilyRevisionOrArn) {
  for (int i = 0; i < 3; ++i) {
    h_.Ok("RegisterTaskDefinition", Body("web", App(), R"(,"tags":[{"key":"k","value":"v"}])"));
  }
  auto revision = [&](std::string_view body) {
    return h_.Ok("DescribeTaskDefinition", body).at("taskDefinition").at("revision").as_int64();
  };
  EXPECT_EQ(revision(R"({"taskDefinition":"web"})"), 3);
  EXPECT_EQ(revision(R"({"taskDefinition":"web:2"})"), 2);
  EXPECT_EQ(revision(absl::StrCat(R"({"taskDefinition":")", kArn, R"(web:1"})")), 1);
  // The latest ACTIVE revision: deregistering 3 makes "web" mean 2, while
  // web:3 stays describable as INACTIVE.
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:3"})");
  EXPECT_EQ(revision(R"({"taskDefinition":"web"})"), 2);
  boost::json::object three = h_.Ok("DescribeTaskDefinition", R"({"taskDefinition":"web:3"})");
  EXPECT_EQ(three.at("taskDefinition").at("status").as_string(), "INACTIVE");
  EXPECT_FALSE(three.contains("tags"));
  boost::json::object tagged =
      h_.Ok("DescribeTaskDefinition", R"({"taskDefinition":"web:1","include":["TAGS"]})");
  EXPECT_EQ(Json(tagged.at("tags")), R"([{"key":"k","value":"v"}])");

  const std::string unable = "ClientException: Unable to describe task definition.";
  EXPECT_EQ(h_.Error("DescribeTaskDefinition", R"({"taskDefinition":"db"})"), unable);
  EXPECT_EQ(h_.Error("DescribeTaskDefinition", R"({"taskDefinition":"web:4"})"), unable);
  EXPECT_EQ(h_.Error("DescribeTaskDefinition",
                     R"({"taskDefinition":"arn:aws:ecs:eu-west-1:000000000000:task-definition/web:1"})"),
            unable);
  EXPECT_EQ(h_.Error("DescribeTaskDefinition",
                     R"({"taskDefinition":"arn:aws:ecs:us-east-1:000000000000:cluster/web"})"),
            unable);
  EXPECT_EQ(h_.Error("DescribeTaskDefinition", R"({"taskDefinition":"web:x"})"),
            "ClientException: Invalid revision number. Number: x");
  EXPECT_EQ(h_.Error("DescribeTaskDefinition", R"({"taskDefinition":"web:0"})"),
            "ClientException: Invalid revision number. Number: 0");
  EXPECT_EQ(h_.Error("DescribeTaskDefinition", R"({"taskDefinition":"web","include":["ALL"]})"),
            "InvalidParameterException: Invalid value 'ALL' in include. Valid values are TAGS.");
  // Every revision INACTIVE: a bare family names nothing.
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:2"})");
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:1"})");
  EXPECT_EQ(h_.Error("DescribeTaskDefinition", R"({"taskDefinition":"web"})"), unable);
}

TEST_F(TaskDefinitionOpsTest, DeregisterNeedsARevisionAndIsIdempotent) {
  h_.Ok("RegisterTaskDefinition", Body("web", App()));
  EXPECT_EQ(h_.Error("DeregisterTaskDefinition", R"({"taskDefinition":"web"})"),
            "ClientException: A revision must be specified: give family:revision or the task "
            "definition's ARN.");
  EXPECT_EQ(h_.Error("DeregisterTaskDefinition", R"({"taskDefinition":"web:2"})"),
            "ClientException: The specified task definition does not exist.");
  boost::json::object out = h_.Ok("DeregisterTaskDefinition",
                                  absl::StrCat(R"({"taskDefinition":")", kArn, R"(web:1"})"));
  EXPECT_EQ(out.at("taskDefinition").at("status").as_string(), "INACTIVE");
  EXPECT_TRUE(out.at("taskDefinition").as_object().contains("deregisteredAt"));
  EXPECT_EQ(h_.changes().size(), 1u);
  out = h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:1"})");
  EXPECT_EQ(out.at("taskDefinition").at("status").as_string(), "INACTIVE");
  EXPECT_TRUE(h_.changes().empty()) << "deregistering an INACTIVE revision writes nothing";
}

TEST_F(TaskDefinitionOpsTest, ListTaskDefinitionsPagesInBothOrdersWithoutRepeats) {
  // 250 revisions over 3 families; a few deregistered.
  std::vector<std::string> asc;
  for (const char* family : {"b", "a", "c"}) {
    for (int i = 1; i <= (family[0] == 'c' ? 50 : 100); ++i) {
      h_.Ok("RegisterTaskDefinition", Body(family, App()));
    }
  }
  for (const char* family : {"a", "b", "c"}) {
    for (int i = 1; i <= (family[0] == 'c' ? 50 : 100); ++i) {
      asc.push_back(absl::StrCat(kArn, family, ":", i));
    }
  }
  auto list_all = [&](const std::string& members, int32_t page_size) {
    std::vector<std::string> arns;
    std::string token;
    for (int pages = 0; pages < 1000; ++pages) {
      std::string body = absl::StrCat(R"({"maxResults":)", page_size, members,
                                      token.empty() ? "" : absl::StrCat(R"(,"nextToken":")",
                                                                        token, "\""),
                                      "}");
      boost::json::object out = h_.Ok("ListTaskDefinitions", body);
      std::vector<std::string> page = Arns(out);
      EXPECT_LE(page.size(), static_cast<size_t>(page_size));
      arns.insert(arns.end(), page.begin(), page.end());
      if (!out.contains("nextToken")) {
        break;
      }
      token = std::string(out.at("nextToken").as_string());
    }
    return arns;
  };
  EXPECT_EQ(list_all("", 100), asc);
  EXPECT_EQ(list_all("", 7), asc);
  std::vector<std::string> desc(asc.rbegin(), asc.rend());
  EXPECT_EQ(list_all(R"(,"sort":"DESC")", 100), desc);
  EXPECT_EQ(list_all(R"(,"sort":"DESC")", 33), desc);
  boost::json::object first = h_.Ok("ListTaskDefinitions", "{}");
  EXPECT_EQ(Arns(first).size(), 100u) << "the default page is 100";

  // familyPrefix is the full family name (the model's doc), not a prefix.
  h_.Ok("RegisterTaskDefinition", Body("ab", App()));
  std::vector<std::string> only_a = list_all(R"(,"familyPrefix":"a")", 40);
  EXPECT_EQ(only_a, std::vector<std::string>(asc.begin(), asc.begin() + 100));
  EXPECT_EQ(list_all(R"(,"familyPrefix":"a","sort":"DESC")", 30),
            std::vector<std::string>(asc.rend() - 100, asc.rend()));
  std::string a_token(
      h_.Ok("ListTaskDefinitions", R"({"familyPrefix":"a","maxResults":1})").at("nextToken").as_string());
  EXPECT_EQ(h_.Error("ListTaskDefinitions",
                     absl::StrCat(R"({"familyPrefix":"b","nextToken":")", a_token, "\"}")),
            "InvalidParameterException: The nextToken provided is not valid.")
      << "a token is bound to its family";

  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"b:7"})");
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"c:50"})");
  EXPECT_EQ(list_all(R"(,"status":"INACTIVE")", 1),
            (std::vector<std::string>{absl::StrCat(kArn, "b:7"), absl::StrCat(kArn, "c:50")}));
  EXPECT_EQ(list_all(R"(,"status":"ACTIVE")", 100).size(), 249u);

  // A token is bound to its order; bad values are InvalidParameterException.
  std::string token(h_.Ok("ListTaskDefinitions", R"({"maxResults":1})").at("nextToken").as_string());
  EXPECT_EQ(h_.Error("ListTaskDefinitions",
                     absl::StrCat(R"({"sort":"DESC","nextToken":")", token, "\"}")),
            "InvalidParameterException: The nextToken provided is not valid.");
  EXPECT_EQ(h_.Error("ListTaskDefinitions", R"({"sort":"UP"})"),
            "InvalidParameterException: Invalid value 'UP' for sort. Valid values are ASC and "
            "DESC.");
  EXPECT_EQ(h_.Error("ListTaskDefinitions", R"({"status":"ALL"})"),
            "InvalidParameterException: Invalid value 'ALL' for status. Valid values are ACTIVE "
            "and INACTIVE.");
  EXPECT_EQ(h_.Error("ListTaskDefinitions", R"({"maxResults":101})"),
            "InvalidParameterException: maxResults must be between 1 and 100.");
}

TEST_F(TaskDefinitionOpsTest, ListTaskDefinitionFamiliesFiltersByPrefixAndStatus) {
  std::vector<std::string> all;
  for (int i = 0; i < 250; ++i) {
    std::string family = absl::StrCat("f", i / 100, "-", i % 100 < 10 ? "0" : "", i % 100);
    h_.Ok("RegisterTaskDefinition", Body(family, App()));
    all.push_back(family);
  }
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"f1-05:1"})");
  auto list_all = [&](const std::string& members, int32_t page_size) {
    std::vector<std::string> names;
    std::string token;
    for (int pages = 0; pages < 1000; ++pages) {
      boost::json::object out = h_.Ok(
          "ListTaskDefinitionFamilies",
          absl::StrCat(R"({"maxResults":)", page_size, members,
                       token.empty() ? "" : absl::StrCat(R"(,"nextToken":")", token, "\""), "}"));
      for (const auto& f : out.at("families").as_array()) {
        names.emplace_back(f.as_string());
      }
      if (!out.contains("nextToken")) {
        break;
      }
      token = std::string(out.at("nextToken").as_string());
    }
    return names;
  };
  EXPECT_EQ(list_all("", 100), all) << "ALL by default: INACTIVE families too";
  EXPECT_EQ(list_all("", 9), all);
  std::vector<std::string> active = all;
  active.erase(std::find(active.begin(), active.end(), "f1-05"));
  EXPECT_EQ(list_all(R"(,"status":"ACTIVE")", 100), active);
  EXPECT_EQ(list_all(R"(,"status":"INACTIVE")", 100), std::vector<std::string>{"f1-05"});
  std::vector<std::string> f2(all.begin() + 200, all.end());
  EXPECT_EQ(list_all(R"(,"familyPrefix":"f2")", 7), f2);
  EXPECT_TRUE(list_all(R"(,"familyPrefix":"g")", 7).empty());
  EXPECT_EQ(h_.Error("ListTaskDefinitionFamilies", R"({"status":"GONE"})"),
            "InvalidParameterException: Invalid value 'GONE' for status. Valid values are "
            "ACTIVE, INACTIVE and ALL.");
}

TEST_F(TaskDefinitionOpsTest, TagsOnTaskDefinitions) {
  h_.Ok("RegisterTaskDefinition", Body("web", App(), R"(,"tags":[{"key":"a","value":"1"}])"));
  const std::string arn = absl::StrCat(kArn, "web:1");
  h_.Ok("TagResource", absl::StrCat(R"({"resourceArn":")", arn,
                                    R"(","tags":[{"key":"b","value":"2"}]})"));
  h_.Ok("UntagResource", absl::StrCat(R"({"resourceArn":")", arn, R"(","tagKeys":["a"]})"));
  boost::json::object out =
      h_.Ok("ListTagsForResource", absl::StrCat(R"({"resourceArn":")", arn, R"("})"));
  EXPECT_EQ(Json(out.at("tags")), R"([{"key":"b","value":"2"}])");
  out = h_.Ok("DescribeTaskDefinition", R"({"taskDefinition":"web","include":["TAGS"]})");
  EXPECT_EQ(Json(out.at("tags")), R"([{"key":"b","value":"2"}])");
  EXPECT_EQ(h_.Error("ListTagsForResource",
                     absl::StrCat(R"({"resourceArn":")", kArn, R"(web:2"})")),
            "ResourceNotFoundException: The specified task definition does not exist.");
}

TEST_F(TaskDefinitionOpsTest, EveryRevisionReloadsFromTheStore) {
  testing::FakeStore store;
  auto commit = [&] {
    store.Commit(std::vector<Mutation>(h_.changes().mutations()), [](absl::Status) {});
    ASSERT_TRUE(store.Close().ok());
  };
  for (int i = 0; i < 3; ++i) {
    h_.Ok("RegisterTaskDefinition",
          Body("web", App(R"("memory":64,"environment":[{"name":"A","value":"1"}])"),
               R"(,"tags":[{"key":"k","value":"v"}],"cpu":"1 vCPU","networkMode":"host")"));
    commit();
  }
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:2"})");
  commit();
  state::Model reloaded(ecs::ArnScope{});
  ASSERT_TRUE(reloaded.Load(store).ok());
  const auto& before = h_.model().task_definitions().families();
  const auto& after = reloaded.task_definitions().families();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after.at("web").revisions, before.at("web").revisions);
  EXPECT_EQ(after.at("web").active_count, 2);
  EXPECT_EQ(reloaded.task_definitions().NextRevision("web"), 4);
}

}  // namespace
}  // namespace berth::control
