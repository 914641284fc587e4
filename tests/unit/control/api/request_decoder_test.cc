#include "control/api/request_decoder.h"

#include "control/api/ecs_error.h"
#include "control/api/ops/ops.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;

constexpr char kJson11[] = "application/x-amz-json-1.1";

class RequestDecoderTest : public ::testing::Test {
 protected:
  RequestDecoderTest() { ops::RegisterAllOperations(ops_); }
  std::string Type(std::string_view target, std::string_view type, std::string_view body) {
    return EcsErrorType(DecodeRequest(target, type, body, ops_).status());
  }
  OperationRegistry ops_;
};

TEST_F(RequestDecoderTest, DecodesAKnownOperation) {
  absl::StatusOr<DecodedRequest> d =
      DecodeRequest("AmazonEC2ContainerServiceV20141113.CreateCluster", kJson11,
                    R"({"clusterName":"x","unknownMember":[1,2]})", ops_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->operation, "CreateCluster");
  EXPECT_NE(d->fn, nullptr);
  EXPECT_EQ(d->body.at("clusterName").as_string(), "x");
}

TEST_F(RequestDecoderTest, EmptyBodyIsAnEmptyObject) {
  absl::StatusOr<DecodedRequest> d =
      DecodeRequest("AmazonEC2ContainerServiceV20141113.ListClusters", kJson11, "", ops_);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->body.empty());
}

TEST_F(RequestDecoderTest, UnknownOperations) {
  for (const char* target : {"", "ListClusters", "AmazonEC2ContainerServiceV20141113.Nope",
                             "DynamoDB_20120810.ListTables",
                             "AmazonEC2ContainerServiceV20141113.listclusters",
                             "AmazonEC2ContainerServiceV20141113."}) {
    EXPECT_EQ(Type(target, kJson11, "{}"), "UnknownOperationException") << target;
  }
  absl::Status s = DecodeRequest("AmazonEC2ContainerServiceV20141113.Nope", kJson11, "{}", ops_)
                       .status();
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("Unknown operation 'AmazonEC2ContainerServiceV20141113.Nope'"));
}

TEST_F(RequestDecoderTest, SerializationErrors) {
  const char* target = "AmazonEC2ContainerServiceV20141113.ListClusters";
  EXPECT_EQ(Type(target, kJson11, "{"), "SerializationException");
  EXPECT_EQ(Type(target, kJson11, "[]"), "SerializationException");
  EXPECT_EQ(Type(target, kJson11, "\"x\""), "SerializationException");
  EXPECT_EQ(Type(target, kJson11, "{} trailing"), "SerializationException");
  EXPECT_EQ(Type(target, "text/plain", "{}"), "SerializationException");
  EXPECT_EQ(Type(target, "application/x-amz-json-1.1; charset=utf-8", "{}"), "");
  EXPECT_EQ(Type(target, "application/json", "{}"), "");
  std::string deep(100, '[');
  EXPECT_EQ(Type(target, kJson11, "{\"a\":" + deep), "SerializationException");
}

TEST_F(RequestDecoderTest, ExcerptCutsLongInput) {
  EXPECT_EQ(Excerpt("short"), "short");
  EXPECT_EQ(Excerpt(std::string(100, 'a'), 10), "aaaaaaaaaa...");
  // Never half a character, never invalid UTF-8.
  EXPECT_EQ(Excerpt("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9\xc3\xa9...");
  EXPECT_EQ(Excerpt("a\xff\xc3.b\xe2\x82"), "a??.b??");
  // Regression (fuzz_control_request): an overlong 4-byte form passed as valid.
  EXPECT_EQ(Excerpt("\xf0\x8e\x8e\x8e"), "????");
  EXPECT_EQ(Excerpt("\xed\xa0\x80"), "???");                 // a surrogate
  EXPECT_EQ(Excerpt("\xf0\x9f\x9a\xa2 \xf4\x90\x80\x80"), "\xf0\x9f\x9a\xa2 ????");
}

}  // namespace
}  // namespace berth::control
