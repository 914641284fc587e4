#include "agent/endpoints/metric_registry.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace berth::agent::endpoints {
namespace {

TEST(EscapeTest, LabelValues) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeLabelValue("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
  EXPECT_EQ(EscapeLabelValue("tab\tstays"), "tab\tstays");
}

TEST(EscapeTest, HelpKeepsQuotes) {
  EXPECT_EQ(EscapeHelp("a \"b\" \\ c\nd"), "a \"b\" \\\\ c\\nd");
}

TEST(FormatSampleValueTest, IntegersExactlyOthersPrecisely) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(12345678901), "12345678901");
  EXPECT_EQ(FormatSampleValue(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(FormatSampleValue(1e300), "1e+300");
  EXPECT_EQ(FormatSampleValue(2.5), "2.5");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(4.283425466), "4.283425466");
  EXPECT_EQ(FormatSampleValue(0.1 + 0.2), "0.30000000000000004");  // 17 digits needed
  EXPECT_EQ(FormatSampleValue(1.0 / 3), "0.3333333333333333");     // 16 digits
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(NameTest, MetricAndLabelNames) {
  EXPECT_TRUE(IsValidMetricName("berth_agent_x:total"));
  EXPECT_FALSE(IsValidMetricName("9x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("task_arn"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("__name"));
}

TEST(MetricRegistryTest, RendersFamiliesInNameOrderWithSeriesInLabelOrder) {
  MetricRegistry r;
  r.Declare("z_total", MetricRegistry::Type::kCounter, "Zed.");
  r.Declare("a_gauge", MetricRegistry::Type::kGauge, "A\ngauge.");
  r.Declare("m_empty", MetricRegistry::Type::kCounter, "Nothing yet.");
  r.Add("z_total", {{"k", "b"}});
  r.Add("z_total", {{"k", "a"}}, 2);
  r.Add("z_total", {{"k", "b"}}, 3);
  r.Set("a_gauge", {}, 1.25);
  r.Set("a_gauge", {}, -4);
  std::string out;
  r.Render(&out);
  EXPECT_EQ(out,
            "# HELP a_gauge A\\ngauge.\n# TYPE a_gauge gauge\na_gauge -4\n"
            "# HELP m_empty Nothing yet.\n# TYPE m_empty counter\n"
            "# HELP z_total Zed.\n# TYPE z_total counter\n"
            "z_total{k=\"a\"} 2\nz_total{k=\"b\"} 4\n");
  EXPECT_EQ(r.Value("z_total", {{"k", "b"}}), 4);
  EXPECT_EQ(r.Value("z_total", {{"k", "c"}}), 0);
  EXPECT_EQ(r.Value("nope"), 0);
  r.Clear("z_total");
  EXPECT_EQ(r.Value("z_total", {{"k", "b"}}), 0);
}

TEST(MetricRegistryTest, LabelsKeepTheirOrder) {
  std::string out;
  AppendSample("x", {{"b", "1"}, {"a", "2\""}}, 3, &out);
  EXPECT_EQ(out, "x{b=\"1\",a=\"2\\\"\"} 3\n");
}

TEST(MetricRegistryDeathTest, MisuseIsABug) {
  MetricRegistry r;
  r.Declare("c_total", MetricRegistry::Type::kCounter, "C.");
  EXPECT_DEATH(r.Add("undeclared", {}), "not declared");
  EXPECT_DEATH(r.Declare("c_total", MetricRegistry::Type::kCounter, "again"), "twice");
  EXPECT_DEATH(r.Set("c_total", {}, 1), "Set on counter");
  EXPECT_DEATH(r.Add("c_total", {}, -1), "decremented");
  EXPECT_DEATH(r.Add("c_total", {{"bad-label", "x"}}), "invalid label name");
  EXPECT_DEATH(r.Declare("bad name", MetricRegistry::Type::kGauge, "x"), "invalid metric name");
}

}  // namespace
}  // namespace berth::agent::endpoints
