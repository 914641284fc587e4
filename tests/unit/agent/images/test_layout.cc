#include "tests/unit/agent/images/test_layout.h"

#include <filesystem>
#include <fstream>

#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"

namespace berth::images::testing {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

json::value DescriptorValue(const Descriptor& d) {
  json::object o;
  o["mediaType"] = d.media_type;
  o["digest"] = d.digest.str();
  o["size"] = d.size;
  if (!d.annotations.empty()) {
    json::object a;
    for (const auto& [k, v] : d.annotations) {
      a[k] = v;
    }
    o["annotations"] = std::move(a);
  }
  if (d.platform.has_value()) {
    json::object p;
    p["os"] = d.platform->os;
    p["architecture"] = d.platform->architecture;
    if (!d.platform->variant.empty()) {
      p["variant"] = d.platform->variant;
    }
    o["platform"] = std::move(p);
  }
  return o;
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) {
    a.emplace_back(s);
  }
  return a;
}

}  // namespace

std::string DescriptorJson(const Descriptor& d) { return json::serialize(DescriptorValue(d)); }

TestLayout::TestLayout(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(dir_ + "/blobs/sha256");
  WriteFile(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  WriteIndex();
}

std::string TestLayout::BlobPath(const Digest& d) const {
  return dir_ + "/blobs/sha256/" + d.hex();
}

Descriptor TestLayout::AddBlob(const std::string& bytes, std::string media_type) {
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = Sha256Of(bytes);
  d.size = static_cast<int64_t>(bytes.size());
  WriteFile(BlobPath(d.digest), bytes);
  return d;
}

std::string TestLayout::ConfigJson(const ImageConfig& c, const std::string& arch,
                                   size_t layers) {
  json::object config;
  if (!c.entrypoint.empty()) config["Entrypoint"] = Strings(c.entrypoint);
  if (!c.cmd.empty()) config["Cmd"] = Strings(c.cmd);
  if (!c.env.empty()) config["Env"] = Strings(c.env);
  if (!c.working_dir.empty()) config["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) config["User"] = c.user;
  if (!c.stop_signal.empty()) config["StopSignal"] = c.stop_signal;
  if (!c.exposed_ports.empty()) {
    json::object ports;
    for (const std::string& p : c.exposed_ports) {
      ports[p] = json::object();
    }
    config["ExposedPorts"] = std::move(ports);
  }
  if (!c.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : c.labels) {
      labels[k] = v;
    }
    config["Labels"] = std::move(labels);
  }
  json::object root;
  root["architecture"] = arch;
  root["os"] = "linux";
  root["config"] = std::move(config);
  json::array diff_ids;
  for (size_t i = 0; i < layers; ++i) {
    // Not checked by the store beyond their count.
    diff_ids.emplace_back(Sha256Of(std::to_string(i)).str());
  }
  root["rootfs"] = json::object{{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  return json::serialize(root);
}

Descriptor TestLayout::AddImage(const ImageConfig& config,
                                const std::vector<std::string>& layer_tars, bool docker,
                                const std::string& arch) {
  Descriptor cd = AddBlob(ConfigJson(config, arch, layer_tars.size()),
                          std::string(docker ? media_type::kDockerConfig : media_type::kOciConfig));
  json::array layers;
  for (const std::string& tar : layer_tars) {
    layers.push_back(DescriptorValue(AddBlob(
        tar, std::string(docker ? media_type::kDockerLayerGzip : media_type::kOciLayerGzip))));
  }
  json::object m;
  m["schemaVersion"] = 2;
  m["mediaType"] = docker ? media_type::kDockerManifest : media_type::kOciManifest;
  m["config"] = DescriptorValue(cd);
  m["layers"] = std::move(layers);
  return AddBlob(json::serialize(m),
                 std::string(docker ? media_type::kDockerManifest : media_type::kOciManifest));
}

Descriptor TestLayout::AddIndex(const std::vector<Descriptor>& manifests, bool docker) {
  json::array list;
  for (const Descriptor& d : manifests) {
    list.push_back(DescriptorValue(d));
  }
  json::object i;
  i["schemaVersion"] = 2;
  i["mediaType"] = docker ? media_type::kDockerManifestList : media_type::kOciIndex;
  i["manifests"] = std::move(list);
  return AddBlob(json::serialize(i),
                 std::string(docker ? media_type::kDockerManifestList : media_type::kOciIndex));
}

void TestLayout::Tag(const std::string& tag, Descriptor d) {
  d.annotations[std::string(kRefNameAnnotation)] = tag;
  std::erase_if(tagged_, [&](const Descriptor& t) {
    return t.annotations.at(std::string(kRefNameAnnotation)) == tag;
  });
  tagged_.push_back(std::move(d));
  WriteIndex();
}

void TestLayout::Corrupt(const Digest& d, const std::string& bytes) {
  WriteFile(BlobPath(d), bytes);
}

void TestLayout::WriteIndex() {
  json::array list;
  for (const Descriptor& d : tagged_) {
    list.push_back(DescriptorValue(d));
  }
  json::object i;
  i["schemaVersion"] = 2;
  i["manifests"] = std::move(list);
  WriteFile(dir_ + "/index.json", json::serialize(i));
}

}  // namespace berth::images::testing
