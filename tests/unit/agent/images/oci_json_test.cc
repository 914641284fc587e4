#include "agent/images/oci_json.h"

#include <string>

#include "gtest/gtest.h"

namespace berth::images {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');

TEST(OciJsonTest, LayoutFile) {
  EXPECT_TRUE(ParseOciLayoutFile(R"({"imageLayoutVersion":"1.0.0"})").ok());
  EXPECT_EQ(ParseOciLayoutFile(R"({"imageLayoutVersion":"2.0.0"})").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseOciLayoutFile(R"({})").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseOciLayoutFile("[").code(), absl::StatusCode::kInvalidArgument);
}

TEST(OciJsonTest, IndexWithRefNames) {
  std::string json = R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kD1 +
                     R"(","size":349,"annotations":{"org.opencontainers.image.ref.name":"latest"}},
    {"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" + kD2 +
                     R"(","size":10,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
  absl::StatusOr<Index> index = ParseIndex(json);
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->manifests[0].digest.str(), kD1);
  EXPECT_EQ(index->manifests[0].size, 349);
  EXPECT_EQ(index->manifests[0].annotations.at(std::string(kRefNameAnnotation)), "latest");
  EXPECT_FALSE(index->manifests[0].platform.has_value());
  ASSERT_TRUE(index->manifests[1].platform.has_value());
  EXPECT_EQ(index->manifests[1].platform->architecture, "arm64");
  EXPECT_EQ(index->manifests[1].platform->variant, "v8");
}

TEST(OciJsonTest, MalformedIndexesNameTheMember) {
  struct Case {
    std::string json;
    std::string message;
  } cases[] = {
      {"", "invalid image index: not valid JSON"},
      {"{\"schemaVersion\":2,\"manifests\":[]", "invalid image index: not valid JSON"},
      {"[]", "invalid image index: expected a JSON object"},
      {R"({"manifests":[]})", "invalid image index: schemaVersion: required"},
      {R"({"schemaVersion":1,"manifests":[]})", "invalid image index: schemaVersion: expected 2"},
      {R"({"schemaVersion":2})", "invalid image index: manifests: required"},
      {R"({"schemaVersion":2,"manifests":{}})", "invalid image index: manifests: expected a list"},
      {R"({"schemaVersion":2,"manifests":[{"digest":")" + kD1 + R"(","size":1}]})",
       "invalid image index: manifests[0].mediaType: required"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:12","size":1}]})",
       "invalid image index: manifests[0].digest: invalid digest"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":")" + kD1 +
           R"(","size":-1}]})",
       "invalid image index: manifests[0].size: must not be negative"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":")" + kD1 +
           R"(","size":"1"}]})",
       "invalid image index: manifests[0].size: expected an integer"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":")" + kD1 +
           R"(","size":1,"annotations":{"a":1}}]})",
       "invalid image index: manifests[0].annotations.a: expected a string"},
      {R"({"schemaVersion":2,"mediaType":"text/plain","manifests":[]})",
       "invalid image index: mediaType: not an image index"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseIndex(c.json).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(s.message().substr(0, c.message.size()), c.message) << c.json << "\n" << s;
  }
}

std::string ManifestJson(std::string media_type, std::string config_type, std::string layer_type) {
  return R"({"schemaVersion":2,)" +
         (media_type.empty() ? std::string() : R"("mediaType":")" + media_type + R"(",)") +
         R"("config":{"mediaType":")" + config_type + R"(","digest":")" + kD1 +
         R"(","size":100},"layers":[{"mediaType":")" + layer_type + R"(","digest":")" + kD2 +
         R"(","size":200},{"mediaType":")" + layer_type + R"(","digest":")" + kD3 +
         R"(","size":300}]})";
}

TEST(OciJsonTest, OciAndDockerManifests) {
  absl::StatusOr<Manifest> m = ParseManifest(ManifestJson(
      "", std::string(media_type::kOciConfig), std::string(media_type::kOciLayerGzip)));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, media_type::kOciManifest);
  EXPECT_EQ(m->config.digest.str(), kD1);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].digest.str(), kD2);
  EXPECT_EQ(m->layers[1].size, 300);

  m = ParseManifest(ManifestJson(std::string(media_type::kDockerManifest),
                             std::string(media_type::kDockerConfig),
                             std::string(media_type::kDockerLayerGzip)));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, media_type::kDockerManifest);

  m = ParseManifest(ManifestJson("", std::string(media_type::kOciConfig),
                             std::string(media_type::kOciLayerZstd)));
  EXPECT_TRUE(m.ok()) << m.status();
}

TEST(OciJsonTest, ManifestRefusals) {
  EXPECT_NE(ParseManifest(ManifestJson(std::string(media_type::kOciIndex),
                                   std::string(media_type::kOciConfig),
                                   std::string(media_type::kOciLayer)))
                .status()
                .message()
                .find("mediaType: not an image manifest"),
            absl::string_view::npos);
  EXPECT_NE(ParseManifest(ManifestJson("", "application/vnd.example.artifact",
                                   std::string(media_type::kOciLayer)))
                .status()
                .message()
                .find("config.mediaType: not an image config"),
            absl::string_view::npos);
  absl::Status s = ParseManifest(ManifestJson("", std::string(media_type::kOciConfig),
                                          "application/octet-stream"))
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("layers[0].mediaType: unsupported layer media type"),
            absl::string_view::npos)
      << s;
  s = ParseManifest(R"({"schemaVersion":1,"fsLayers":[]})").status();
  EXPECT_NE(s.message().find("Docker schema 1 images are not supported"), absl::string_view::npos)
      << s;
  EXPECT_FALSE(ParseManifest(R"({"schemaVersion":2,"layers":[]})").ok());
  EXPECT_FALSE(ParseManifest(R"({"schemaVersion":2,"config":"x","layers":[]})").ok());
}

TEST(OciJsonTest, ConfigFields) {
  absl::StatusOr<ConfigFile> c = ParseConfig(R"({
    "architecture":"amd64","os":"linux",
    "config":{"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"Env":["PATH=/bin","A=b=c"],
              "WorkingDir":"/srv","User":"65534:65534",
              "ExposedPorts":{"8080/tcp":{},"53/udp":{}},"StopSignal":"SIGQUIT",
              "Labels":{"team":"infra"},"Volumes":{"/data":{}}},
    "rootfs":{"type":"layers","diff_ids":[")" + kD1 + R"("]},
    "history":[{"created_by":"x"}]})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->architecture, "amd64");
  ImageConfig want;
  want.entrypoint = {"/bin/sh", "-c"};
  want.cmd = {"echo hi"};
  want.env = {"PATH=/bin", "A=b=c"};
  want.working_dir = "/srv";
  want.user = "65534:65534";
  want.exposed_ports = {"53/udp", "8080/tcp"};
  want.stop_signal = "SIGQUIT";
  want.labels = {{"team", "infra"}};
  EXPECT_EQ(c->config, want);
  ASSERT_EQ(c->diff_ids.size(), 1u);
  EXPECT_EQ(c->diff_ids[0].str(), kD1);
}

TEST(OciJsonTest, ConfigNullsAndAbsentMembersAreUnset) {
  absl::StatusOr<ConfigFile> c =
      ParseConfig(R"({"config":{"Entrypoint":null,"Cmd":null,"Env":null,"Labels":null}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config, ImageConfig{});
  EXPECT_TRUE(ParseConfig("{}").ok());
}

TEST(OciJsonTest, MalformedConfigs) {
  struct Case {
    std::string json;
    std::string message;
  } cases[] = {
      {"{\"config\":", "invalid image config: not valid JSON"},
      {R"({"config":[]})", "invalid image config: config: expected an object"},
      {R"({"config":{"Cmd":"echo"}})", "invalid image config: config.Cmd: expected a list"},
      {R"({"config":{"Env":[1]}})", "invalid image config: config.Env: expected a list"},
      {R"({"config":{"User":0}})", "invalid image config: config.User: expected a string"},
      {R"({"config":{"ExposedPorts":["80"]}})",
       "invalid image config: config.ExposedPorts: expected an object"},
      {R"({"rootfs":{"diff_ids":["md5:x"]}})", "invalid image config: rootfs.diff_ids[0]"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseConfig(c.json).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(s.message().substr(0, c.message.size()), c.message) << c.json << "\n" << s;
  }
}

TEST(OciJsonTest, DeeplyNestedJsonIsRefusedNotACrash) {
  std::string deep = "{\"config\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(ParseConfig(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OciJsonTest, SelectPlatformPicksLinuxAndTheArchitecture) {
  Index index;
  auto add = [&](std::string os, std::string arch, std::string variant, const std::string& d) {
    Descriptor desc;
    desc.media_type = std::string(media_type::kOciManifest);
    desc.digest = *Digest::Parse(d);
    desc.platform = Platform{os, arch, variant};
    index.manifests.push_back(desc);
  };
  add("windows", "amd64", "", kD1);
  add("linux", "arm", "v7", kD2);
  add("linux", "amd64", "", kD3);
  absl::StatusOr<Descriptor> d = SelectPlatform(index, "amd64", "");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->digest.str(), kD3);
  EXPECT_EQ(SelectPlatform(index, "arm", "v7")->digest.str(), kD2);
  absl::Status s = SelectPlatform(index, "arm", "v6").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  s = SelectPlatform(index, "s390x", "").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "no image for linux/s390x in the image index (it has: windows/amd64, linux/arm/v7, "
            "linux/amd64)");
}

TEST(OciJsonTest, HostArchitectureIsAGoArchName) {
  std::string arch = HostArchitecture();
  EXPECT_FALSE(arch.empty());
  EXPECT_NE(arch, "x86_64");
  EXPECT_NE(arch, "aarch64");
}

}  // namespace
}  // namespace berth::images
