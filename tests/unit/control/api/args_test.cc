#include "control/api/args.h"

#include "control/api/ecs_error.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::control {
namespace {

boost::json::object Body(std::string_view text) {
  absl::StatusOr<boost::json::value> v = ecs::ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v->as_object();
}

TEST(ArgsTest, ReadsTypedMembersAndTreatsNullAsAbsent) {
  boost::json::object body = Body(
      R"({"s":"x","b":true,"i":7,"l":-5000000000,"list":["a","b"],"n":null,"o":{"k":"v"}})");
  Args args(body);
  std::optional<std::string> s, n;
  std::optional<bool> b;
  std::optional<int32_t> i;
  std::optional<int64_t> l;
  std::optional<std::vector<std::string>> list;
  const boost::json::object* o = nullptr;
  ASSERT_TRUE(args.Get("s", &s).ok());
  ASSERT_TRUE(args.Get("n", &n).ok());
  ASSERT_TRUE(args.Get("b", &b).ok());
  ASSERT_TRUE(args.Get("i", &i).ok());
  ASSERT_TRUE(args.Get("l", &l).ok());
  ASSERT_TRUE(args.Get("list", &list).ok());
  ASSERT_TRUE(args.GetObject("o", &o).ok());
  EXPECT_EQ(s, "x");
  EXPECT_FALSE(n.has_value());
  EXPECT_EQ(b, true);
  EXPECT_EQ(i, 7);
  EXPECT_EQ(l, -5000000000);
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->at("k").as_string(), "v");
}

TEST(ArgsTest, WrongTypesAreSerializationErrorsNamingThePath) {
  boost::json::object body =
      Body(R"({"s":1,"i":1.5,"big":3000000000,"list":["a",2],"b":"true","tags":[{"key":1}]})");
  Args args(body);
  std::optional<std::string> s;
  std::optional<int32_t> i, big;
  std::optional<std::vector<std::string>> list;
  std::optional<bool> b;
  absl::Status status = args.Get("s", &s);
  EXPECT_EQ(EcsErrorType(status), "SerializationException");
  EXPECT_EQ(status.message(), "Invalid type for 's': expected a string, got an integer.");
  EXPECT_EQ(EcsErrorType(args.Get("i", &i)), "SerializationException");
  EXPECT_EQ(EcsErrorType(args.Get("big", &big)), "SerializationException");
  EXPECT_EQ(args.Get("list", &list).message(),
            "Invalid type for 'list[1]': expected a string, got an integer.");
  EXPECT_EQ(EcsErrorType(args.Get("b", &b)), "SerializationException");
  std::optional<std::vector<std::string>> keys;
  absl::Status nested = args.GetList("tags", &keys, [](const Args& e, std::string* out) {
    std::optional<std::string> k;
    if (absl::Status st = e.Get("key", &k); !st.ok()) {
      return st;
    }
    *out = k.value_or("");
    return absl::OkStatus();
  });
  EXPECT_EQ(nested.message(), "Invalid type for 'tags[0].key': expected a string, got an integer.");
}

TEST(ArgsTest, MissingRequiredIsInvalidParameter) {
  boost::json::object body = Body(R"({"cluster":null})");
  Args args(body);
  std::string cluster;
  absl::Status status = args.Require("cluster", &cluster);
  EXPECT_EQ(EcsErrorType(status), "InvalidParameterException");
  EXPECT_EQ(status.message(), "Missing required parameter 'cluster'.");
}

TEST(ArgsTest, AnIntegerOutOfRangeIsNamedAsSuch) {
  boost::json::object body =
      Body(R"({"count":4294967296,"ack":18446744073709551615,"neg":-3000000000})");
  Args args(body);
  std::optional<int32_t> count, neg;
  std::optional<int64_t> ack;
  absl::Status status = args.Get("count", &count);
  EXPECT_EQ(EcsErrorType(status), "SerializationException");
  EXPECT_EQ(status.message(),
            "Invalid value for 'count': 4294967296 is outside the range of a 32-bit integer.");
  status = args.Get("ack", &ack);
  EXPECT_EQ(status.message(), "Invalid value for 'ack': 18446744073709551615 is outside the "
                              "range of a 64-bit integer.");
  EXPECT_FALSE(args.Get("neg", &neg).ok());
}

}  // namespace
}  // namespace berth::control
