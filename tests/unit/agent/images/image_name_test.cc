#include "agent/images/image_name.h"

#include "gtest/gtest.h"

namespace berth::images {
namespace {

TEST(ImageNameTest, OciLayoutWithTag) {
  absl::StatusOr<ImageName> n = ParseImageName("oci:/var/lib/images/busybox:latest");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kind, ImageName::Kind::kOciLayout);
  EXPECT_EQ(n->layout_path, "/var/lib/images/busybox");
  EXPECT_EQ(n->tag, "latest");
  EXPECT_EQ(n->ToString(), "oci:/var/lib/images/busybox:latest");
}

TEST(ImageNameTest, MissingOrEmptyTagMeansTheOnlyManifest) {
  absl::StatusOr<ImageName> n = ParseImageName("oci:/img");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->layout_path, "/img");
  EXPECT_EQ(n->tag, "");
  n = ParseImageName("oci:/img/:");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->layout_path, "/img");
  EXPECT_EQ(n->tag, "");
}

TEST(ImageNameTest, PathEndsAtTheFirstColonLikeSkopeo) {
  // skopeo (containers/image SplitPathAndImage) cuts at the first ':', so
  // "a:b" after the path is a tag, which then fails skopeo's tag rule.
  absl::StatusOr<ImageName> n = ParseImageName("oci:/x/y:v1.2_rc-3");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->layout_path, "/x/y");
  EXPECT_EQ(n->tag, "v1.2_rc-3");
  absl::Status s = ParseImageName("oci:/x:y:z").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tag may only contain"), absl::string_view::npos) << s;
}

TEST(ImageNameTest, RefusesRelativePathsAndDotDot) {
  EXPECT_EQ(ParseImageName("oci:images/busybox:latest").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseImageName("oci::latest").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseImageName("oci:/a/../etc:latest").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseImageName("oci:/a/..b:latest").ok());
}

TEST(ImageNameTest, RegistryReferencesAreNotSupportedYet) {
  for (const char* name : {"busybox", "nginx:1.25", "registry.example.com:5000/team/app@sha256:ab",
                           "docker://busybox", ""}) {
    absl::Status s = ParseImageName(name).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << name;
    EXPECT_NE(s.message().find("pulling from registries is not supported yet (issue 6)"),
              absl::string_view::npos)
        << s;
  }
}

}  // namespace
}  // namespace berth::images
