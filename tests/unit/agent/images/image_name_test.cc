#include "agent/images/image_name.h"

#include <string>
#include <vector>

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

TEST(ImageNameTest, OciLayoutHasNoApiHostAndIsFetchedByTag) {
  absl::StatusOr<ImageName> n = ParseImageName("oci:/img:v1");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->ApiHost(), "");
  EXPECT_EQ(n->ManifestReference(), "v1");
}

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kDigest = "sha256:" + kHex;

struct ValidCase {
  std::string name;
  std::string domain;
  std::string repository;
  std::string tag;
  std::string digest;  // "" for none
  std::string canonical;
  std::string api_host;
};

TEST(ImageNameTest, RegistryReferencesParseAsDockerDoes) {
  const std::string long_tag(128, 't');
  const std::string hub_max(255 - std::string("docker.io/library/").size(), 'a');
  const std::string local_max(255 - std::string("localhost/").size(), 'b');
  const std::vector<ValidCase> cases = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "registry-1.docker.io"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "registry-1.docker.io"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "registry-1.docker.io"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "registry-1.docker.io"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "registry-1.docker.io"},
      {"docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "registry-1.docker.io"},
      {"team/app", "docker.io", "team/app", "latest", "", "docker.io/team/app:latest",
       "registry-1.docker.io"},
      {"a/b/c/d", "docker.io", "a/b/c/d", "latest", "", "docker.io/a/b/c/d:latest",
       "registry-1.docker.io"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest", "localhost"},
      {"localhost:5000/app:v1", "localhost:5000", "app", "v1", "", "localhost:5000/app:v1",
       "localhost:5000"},
      // Docker's rule: with no '/', "host:port" is a name and a tag.
      {"localhost:5000", "docker.io", "library/localhost", "5000", "",
       "docker.io/library/localhost:5000", "registry-1.docker.io"},
      {"127.0.0.1:5000/team/app@" + kDigest, "127.0.0.1:5000", "team/app", "", kDigest,
       "127.0.0.1:5000/team/app@" + kDigest, "127.0.0.1:5000"},
      {"registry.example.com/a/b/c:tag", "registry.example.com", "a/b/c", "tag", "",
       "registry.example.com/a/b/c:tag", "registry.example.com"},
      {"My-Registry.example.COM:443/x", "My-Registry.example.COM:443", "x", "latest", "",
       "My-Registry.example.COM:443/x:latest", "My-Registry.example.COM:443"},
      // An upper-case first component cannot be a Docker Hub namespace: a registry.
      {"Foo/bar", "Foo", "bar", "latest", "", "Foo/bar:latest", "Foo"},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest", "[::1]:5000"},
      {"[fe80::1]/app", "[fe80::1]", "app", "latest", "", "[fe80::1]/app:latest", "[fe80::1]"},
      {"nginx:1.25@" + kDigest, "docker.io", "library/nginx", "1.25", kDigest,
       "docker.io/library/nginx:1.25@" + kDigest, "registry-1.docker.io"},
      {"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
       "docker.io/library/busybox@" + kDigest, "registry-1.docker.io"},
      {"team/a.b__c-d---e_f", "docker.io", "team/a.b__c-d---e_f", "latest", "",
       "docker.io/team/a.b__c-d---e_f:latest", "registry-1.docker.io"},
      {"a.b__c-d---e", "docker.io", "library/a.b__c-d---e", "latest", "",
       "docker.io/library/a.b__c-d---e:latest", "registry-1.docker.io"},
      {"app:Latest_1.0-rc.2", "docker.io", "library/app", "Latest_1.0-rc.2", "",
       "docker.io/library/app:Latest_1.0-rc.2", "registry-1.docker.io"},
      {"app:_x", "docker.io", "library/app", "_x", "", "docker.io/library/app:_x",
       "registry-1.docker.io"},
      {"app:" + long_tag, "docker.io", "library/app", long_tag, "",
       "docker.io/library/app:" + long_tag, "registry-1.docker.io"},
      {hub_max, "docker.io", "library/" + hub_max, "latest", "",
       "docker.io/library/" + hub_max + ":latest", "registry-1.docker.io"},
      {"localhost/" + local_max, "localhost", local_max, "latest", "",
       "localhost/" + local_max + ":latest", "localhost"},
      // 63 hex digits, or 64 with a namespace, are names like any other.
      {kHex.substr(1), "docker.io", "library/" + kHex.substr(1), "latest", "",
       "docker.io/library/" + kHex.substr(1) + ":latest", "registry-1.docker.io"},
      {"team/" + kHex, "docker.io", "team/" + kHex, "latest", "",
       "docker.io/team/" + kHex + ":latest", "registry-1.docker.io"},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ImageName> n = ParseImageName(c.name);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(n->kind, ImageName::Kind::kRegistry);
    EXPECT_EQ(n->domain, c.domain);
    EXPECT_EQ(n->repository, c.repository);
    EXPECT_EQ(n->tag, c.tag);
    EXPECT_EQ(n->digest.has_value() ? n->digest->str() : "", c.digest);
    EXPECT_EQ(n->ToString(), c.canonical);
    EXPECT_EQ(n->ApiHost(), c.api_host);
    EXPECT_EQ(n->ManifestReference(), c.digest.empty() ? c.tag : c.digest);
    EXPECT_EQ(n->layout_path, "");
    // The canonical form is a fixed point.
    absl::StatusOr<ImageName> again = ParseImageName(n->ToString());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->ToString(), c.canonical);
    EXPECT_EQ(again->domain, c.domain);
    EXPECT_EQ(again->repository, c.repository);
    EXPECT_EQ(again->tag, c.tag);
  }
}

struct InvalidCase {
  std::string name;
  std::string reason;  // after `invalid image name "<name>": `
};

TEST(ImageNameTest, MalformedRegistryReferencesAreRefusedWithTheReason) {
  const std::string format = "invalid reference format";
  const std::string lowercase = "invalid reference format: repository name must be lowercase";
  const std::string too_long = "repository name must not be more than 255 characters";
  const std::string sha512 = "sha512:" + kHex + kHex;
  const std::vector<InvalidCase> cases = {
      {"", format},
      {"UPPER", lowercase},
      {"busybox/UPPER", lowercase},
      {"team/App:v1", lowercase},
      {"localhost:5000/App", lowercase},
      {"Foo/Bar", lowercase},
      {"busybox:", format},
      {"busybox:@" + kDigest, format},
      {":tag", format},
      {"busybox:-x", format},
      {"busybox:a+b", format},
      {"app:" + std::string(129, 't'), format},
      {"busybox@sha256:short",
       "invalid digest \"sha256:short\": expected sha256:<64 lowercase hex digits>"},
      {"busybox@sha256:" + kHex.substr(1), "invalid digest \"sha256:" + kHex.substr(1) +
                                               "\": expected sha256:<64 lowercase hex digits>"},
      {"busybox@sha256:0123456789ABCDEF" + kHex.substr(16),
       "invalid digest \"sha256:0123456789ABCDEF" + kHex.substr(16) +
           "\": expected sha256:<64 lowercase hex digits>"},
      {"busybox@" + sha512, "unsupported digest algorithm \"sha512\" (only sha256 is supported)"},
      {"busybox:1@" + sha512, "unsupported digest algorithm \"sha512\" (only sha256 is supported)"},
      {"busybox@", "invalid digest \"\": expected sha256:<64 hex digits>"},
      {"busybox@" + kDigest + "@" + kDigest, "invalid digest \"" + kDigest + "@" + kDigest +
                                                 "\": expected sha256:<64 lowercase hex digits>"},
      {kHex, "invalid repository name (" + kHex + "), cannot specify 64-byte hexadecimal strings"},
      {std::string(255 - std::string("docker.io/library/").size() + 1, 'a'), too_long},
      {"localhost/" + std::string(255 - std::string("localhost/").size() + 1, 'b') + ":v1",
       too_long},
      {"a//b", format},
      {"/", format},
      {"/busybox", format},
      {"busybox/", format},
      {"-a", format},
      {"a-", format},
      {"a..b", format},
      {"a___b", format},
      {"a.-b", format},
      {"team/_app", format},
      {"bus ybox", format},
      {" busybox", format},
      {"busybox ", format},
      {"busybox:la test", format},
      {std::string("busy\0box", 8), format},
      {std::string("busybox:v1\0", 11), format},
      {"busybox\n", format},
      {"busybox\x7f", format},
      {"b\xc3\xbcsybox", format},
      {"docker://busybox", format},
      {"localhost:5000/", format},
      {"[::1]:5000", format},
      {"[::1]:5000/App", lowercase},
      // Docker would keep these whole as a path with no registry; there is
      // nothing to pull them from.
      {"a.b__c-d---e/x",
       format + ": \"a.b__c-d---e\" is taken for a registry but is not a valid host[:port]"},
      {"Foo_Bar/x",
       format + ": \"Foo_Bar\" is taken for a registry but is not a valid host[:port]"},
      {"-host.example.com/x",
       format + ": \"-host.example.com\" is taken for a registry but is not a valid host[:port]"},
      {"host..com/x",
       format + ": \"host..com\" is taken for a registry but is not a valid host[:port]"},
      {"host.com:/x",
       format + ": \"host.com:\" is taken for a registry but is not a valid host[:port]"},
      {"host.com:5x/x",
       format + ": \"host.com:5x\" is taken for a registry but is not a valid host[:port]"},
      {"[]:5000/x",
       format + ": \"[]:5000\" is taken for a registry but is not a valid host[:port]"},
      {"[::g]/x", format + ": \"[::g]\" is taken for a registry but is not a valid host[:port]"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status s = ParseImageName(c.name).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(std::string(s.message()), "invalid image name \"" + c.name + "\": " + c.reason);
  }
}

}  // namespace
}  // namespace berth::images
