#include "control/api/api_service.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/api/ecs_error.h"
#include "control/api/ops/ops.h"
#include "control/auth/sigv4.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/absl_compat.h"
#include "io/fake_loop.h"
#include "tests/unit/control/api/fake_store.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPrefix[] = "AmazonEC2ContainerServiceV20141113.";

// A faulty operation: an internal error after it changed the model.
absl::StatusOr<boost::json::object> Broken(OpContext& ctx, const Args&) {
  ecs::Cluster c;
  c.name = "half-made";
  ctx.model.clusters().Put(c, ctx.changes);
  return absl::InternalError("secret internal detail: /var/lib/berth/x.db is locked");
}

class ApiServiceTest : public ::testing::Test {
 protected:
  explicit ApiServiceTest(std::optional<auth::CredentialSet> credentials = std::nullopt)
      : authenticator_(auth::AuthOptions{}, std::move(credentials), loop_.time()) {
    ops::RegisterAllOperations(ops_);
    ops_.Add("Broken", &Broken);
    api_.emplace(loop_, model_, store_, authenticator_, ops_, rng_);
  }

  io::HttpRequest Request(std::string_view op, std::string body) {
    io::HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Host", "127.0.0.1:8080"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", absl::StrCat(kPrefix, Absl(op))}};
    r.body = std::move(body);
    return r;
  }

  // Sends a request; returns the slot its response lands in.
  size_t Send(io::HttpRequest request) {
    size_t slot = responses_.size();
    responses_.emplace_back();
    api_->Handle(std::move(request),
                 [this, slot](io::HttpResponse r) { responses_[slot] = std::move(r); });
    return slot;
  }
  size_t Call(std::string_view op, std::string body = "{}") {
    return Send(Request(op, std::move(body)));
  }

  bool Answered(size_t slot) const { return responses_[slot].has_value(); }
  const io::HttpResponse& Response(size_t slot) const { return *responses_[slot]; }
  std::string ErrorType(size_t slot) const {
    absl::StatusOr<boost::json::value> body = ecs::ParseJson(Response(slot).body);
    const boost::json::object* o = body.ok() ? body->if_object() : nullptr;
    if (o == nullptr || !o->contains("__type")) {
      return "";
    }
    return std::string(o->at("__type").as_string());
  }

  io::FakeLoop loop_;
  testing::FakeStore store_;
  state::Model model_{ecs::ArnScope{}};
  auth::Authenticator authenticator_;
  OperationRegistry ops_;
  io::Rng rng_{7};
  std::optional<ApiService> api_;
  std::vector<std::optional<io::HttpResponse>> responses_;
};

TEST_F(ApiServiceTest, OtherPathsAndMethodsAre404) {
  io::HttpRequest get = Request("ListClusters", "");
  get.method = "GET";
  size_t a = Send(get);
  io::HttpRequest other = Request("ListClusters", "{}");
  other.target = "/v1/clusters";
  size_t b = Send(other);
  EXPECT_EQ(Response(a).status, 404);
  EXPECT_EQ(Response(b).status, 404);
  EXPECT_THAT(Response(a).body, HasSubstr("X-Amz-Target"));
}

TEST_F(ApiServiceTest, ErrorsUseTheAwsJsonShape) {
  size_t unknown = Call("DescribeEverything");
  EXPECT_EQ(Response(unknown).status, 400);
  EXPECT_EQ(Response(unknown).Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_FALSE(Response(unknown).Header("x-amzn-RequestId").empty());
  EXPECT_EQ(ErrorType(unknown), "UnknownOperationException");
  EXPECT_EQ(ErrorType(Call("ListClusters", "{not json")), "SerializationException");
  EXPECT_EQ(ErrorType(Call("ListClusters", R"({"maxResults":"ten"})")), "SerializationException");
  size_t missing = Call("DeleteCluster", "{}");
  EXPECT_EQ(Response(missing).body,
            R"({"__type":"InvalidParameterException","message":"Missing required parameter 'cluster'."})");
  size_t not_found = Call("DeleteCluster", R"({"cluster":"nope"})");
  EXPECT_EQ(Response(not_found).body,
            R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})");
}

TEST_F(ApiServiceTest, OversizedBodiesGetAnEcsShaped413) {
  size_t slot = Call("CreateCluster", "{\"clusterName\":\"" + std::string(1 << 20, 'a') + "\"}");
  EXPECT_EQ(Response(slot).status, 413);
  EXPECT_EQ(ErrorType(slot), "RequestEntityTooLargeException");
  EXPECT_THAT(Response(slot).body, HasSubstr("1048576-byte limit"));
  EXPECT_EQ(store_.pending(), 0u);
  EXPECT_TRUE(model_.clusters().entries().empty());
}

TEST_F(ApiServiceTest, FaultsBecomeServerExceptionWithoutInternals) {
  size_t slot = Call("Broken");
  EXPECT_FALSE(Answered(slot));  // its changes are committed all the same
  ASSERT_EQ(store_.pending(), 1u);
  store_.CompleteNext();
  ASSERT_TRUE(Answered(slot));
  EXPECT_EQ(Response(slot).status, 500);
  EXPECT_EQ(ErrorType(slot), "ServerException");
  EXPECT_THAT(Response(slot).body, Not(HasSubstr("secret")));
  EXPECT_EQ(store_.data().at("clusters").count("half-made"), 1u);
}

TEST_F(ApiServiceTest, AWriteIsAnsweredOnlyOnceDurable) {
  size_t create = Call("CreateCluster", R"({"clusterName":"a"})");
  EXPECT_FALSE(Answered(create));
  ASSERT_EQ(store_.pending(), 1u);
  EXPECT_EQ(store_.pending_batch(0)[0].key, "a");
  EXPECT_EQ(api_->responses_waiting(), 1u);
  store_.CompleteNext();
  ASSERT_TRUE(Answered(create));
  EXPECT_EQ(Response(create).status, 200);
  EXPECT_THAT(Response(create).body, HasSubstr(R"("clusterName":"a")"));
  EXPECT_EQ(api_->responses_waiting(), 0u);
}

TEST_F(ApiServiceTest, ReadsAndErrorsWaitForEarlierCommits) {
  size_t create = Call("CreateCluster", R"({"clusterName":"a"})");
  // The model already has "a": a read must not show it before it is durable.
  size_t list = Call("ListClusters");
  size_t describe = Call("DescribeClusters", R"({"clusters":["a"]})");
  size_t error = Call("DeleteCluster", R"({"cluster":"zzz"})");
  size_t create_b = Call("CreateCluster", R"({"clusterName":"b"})");
  size_t list_after_b = Call("ListClusters");
  EXPECT_FALSE(Answered(create) || Answered(list) || Answered(describe) || Answered(error) ||
               Answered(create_b) || Answered(list_after_b));
  ASSERT_EQ(store_.pending(), 2u);
  store_.CompleteNext();  // "a" is durable; "b" is not
  EXPECT_TRUE(Answered(create) && Answered(list) && Answered(describe) && Answered(error));
  EXPECT_THAT(Response(list).body, HasSubstr("cluster/a"));
  EXPECT_EQ(ErrorType(error), "ClusterNotFoundException");
  EXPECT_FALSE(Answered(create_b) || Answered(list_after_b));
  store_.CompleteNext();
  EXPECT_TRUE(Answered(create_b) && Answered(list_after_b));
  EXPECT_THAT(Response(list_after_b).body, HasSubstr("cluster/b"));
  // Nothing in flight: a read answers at once, with no commit.
  size_t later = Call("ListClusters");
  EXPECT_TRUE(Answered(later));
  EXPECT_EQ(store_.pending(), 0u);
  EXPECT_EQ(api_->commits_queued(), 2u);
  EXPECT_EQ(api_->commits_durable(), 2u);
}

TEST_F(ApiServiceTest, AFailedCommitFailsWhatWaitsAndEverythingAfter) {
  absl::Status fatal;
  int fatal_calls = 0;
  api_->OnFatal([&](const absl::Status& s) {
    fatal = s;
    ++fatal_calls;
  });
  size_t create = Call("CreateCluster", R"({"clusterName":"a"})");
  size_t list = Call("ListClusters");
  size_t create_b = Call("CreateCluster", R"({"clusterName":"b"})");
  store_.CompleteNext(absl::UnavailableError("disk I/O error"));
  for (size_t slot : {create, list}) {
    ASSERT_TRUE(Answered(slot));
    EXPECT_EQ(Response(slot).status, 500);
    EXPECT_EQ(ErrorType(slot), "ServerException");
    EXPECT_THAT(Response(slot).body, Not(HasSubstr("disk")));
  }
  EXPECT_TRUE(Answered(create_b));  // its commit may still land, but the answer is a fault
  EXPECT_EQ(ErrorType(create_b), "ServerException");
  EXPECT_EQ(fatal_calls, 1);
  EXPECT_EQ(fatal.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(api_->writes_failed());
  store_.CompleteNext();  // b's commit completes later: nothing is answered twice
  size_t after = Call("DescribeClusters");
  EXPECT_EQ(ErrorType(after), "ServerException");
  EXPECT_EQ(store_.pending(), 0u);
  EXPECT_EQ(fatal_calls, 1);
  io::HttpRequest metrics = Request("", "");
  metrics.method = "GET";
  metrics.target = "/metrics";
  size_t m = Send(metrics);
  EXPECT_THAT(Response(m).body, HasSubstr("berth_api_writes_failed 1\n"));
  EXPECT_THAT(Response(m).body, HasSubstr("berth_store_commits_total{result=\"error\"} 1\n"));
}

TEST_F(ApiServiceTest, MetricsCountRequestsByOperationAndError) {
  store_.AutoComplete(true);
  Call("CreateCluster", R"({"clusterName":"a"})");
  Call("DeleteCluster", R"({"cluster":"nope"})");
  Call("Nope");
  io::HttpRequest metrics = Request("", "");
  metrics.method = "GET";
  metrics.target = "/metrics";
  size_t m = Send(metrics);
  EXPECT_EQ(Response(m).status, 200);
  EXPECT_THAT(Response(m).Header("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  const std::string& text = Response(m).body;
  EXPECT_THAT(text, HasSubstr(R"(berth_api_requests_total{operation="CreateCluster",error="none"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(berth_api_requests_total{operation="DeleteCluster",error="ClusterNotFoundException"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(berth_api_requests_total{operation="unknown",error="UnknownOperationException"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(berth_api_request_duration_seconds_count{operation="CreateCluster"} 1)"));
  EXPECT_THAT(text, HasSubstr("berth_store_commits_total{result=\"ok\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("berth_store_commit_mutations_total 1\n"));
  EXPECT_THAT(text, HasSubstr("berth_api_writes_failed 0\n"));
  EXPECT_THAT(text, HasSubstr("berth_store_transactions_total 1\n"));
  EXPECT_THAT(text, HasSubstr("berth_store_batches_queued{state=\"waiting\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("berth_store_transaction_seconds{quantile=\"0.99\"} "));
  EXPECT_EQ(api_->metrics().requests("CreateCluster", ""), 1u);
}

class ApiServiceAuthTest : public ApiServiceTest {
 protected:
  ApiServiceAuthTest() : ApiServiceTest(*auth::CredentialSet::Parse("AKID SECRET")) {}
};

TEST_F(ApiServiceAuthTest, SignedRequestsOnly) {
  size_t unsigned_request = Call("ListClusters");
  EXPECT_EQ(Response(unsigned_request).status, 400);
  EXPECT_EQ(ErrorType(unsigned_request), "MissingAuthenticationTokenException");
  io::HttpRequest good = Request("ListClusters", "{}");
  auth::SignRequest(good, {"AKID", "SECRET"}, "us-east-1", "ecs", loop_.time().Now());
  size_t ok = Send(good);
  EXPECT_EQ(Response(ok).status, 200);
  io::HttpRequest bad = Request("ListClusters", "{}");
  auth::SignRequest(bad, {"AKID", "WRONG"}, "us-east-1", "ecs", loop_.time().Now());
  size_t rejected = Send(bad);
  EXPECT_EQ(ErrorType(rejected), "InvalidSignatureException");
  // Authentication comes before the operation is even looked up.
  io::HttpRequest unknown = Request("Nope", "{}");
  auth::SignRequest(unknown, {"AKID", "WRONG"}, "us-east-1", "ecs", loop_.time().Now());
  EXPECT_EQ(ErrorType(Send(unknown)), "InvalidSignatureException");
}

}  // namespace
}  // namespace berth::control
