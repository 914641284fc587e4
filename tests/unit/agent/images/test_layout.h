#ifndef BERTH_TESTS_UNIT_AGENT_IMAGES_TEST_LAYOUT_H_
#define BERTH_TESTS_UNIT_AGENT_IMAGES_TEST_LAYOUT_H_

// Writes OCI image layouts by hand (no umoci), so tests control every byte:
// good images, Docker media types, nested indexes, corrupt blobs.

#include <string>
#include <vector>

#include "agent/images/oci_json.h"

namespace berth::images::testing {

class TestLayout {
 public:
  explicit TestLayout(std::string dir);  // creates dir, oci-layout, blobs/sha256

  const std::string& dir() const { return dir_; }
  std::string BlobPath(const Digest& d) const;

  // Stores `bytes` as a blob and describes it.
  Descriptor AddBlob(const std::string& bytes, std::string media_type);

  // A config JSON with these runtime settings.
  static std::string ConfigJson(const ImageConfig& c, const std::string& arch,
                                size_t layers);

  // Adds an image (config + layer tars, gzip media type unless told) and
  // returns its manifest descriptor. Not yet tagged: see Tag / WriteIndex.
  Descriptor AddImage(const ImageConfig& config, const std::vector<std::string>& layer_tars,
                      bool docker = false, const std::string& arch = HostArchitecture());
  // An index blob over `manifests` (each with a platform set by the caller).
  Descriptor AddIndex(const std::vector<Descriptor>& manifests, bool docker = false);

  // Adds `d` to index.json under ref name `tag` (replacing that tag) and
  // rewrites index.json.
  void Tag(const std::string& tag, Descriptor d);

  // Overwrites a blob file in place (to corrupt it).
  void Corrupt(const Digest& d, const std::string& bytes);

 private:
  void WriteIndex();
  std::string dir_;
  std::vector<Descriptor> tagged_;
};

std::string DescriptorJson(const Descriptor& d);

}  // namespace berth::images::testing

#endif  // BERTH_TESTS_UNIT_AGENT_IMAGES_TEST_LAYOUT_H_
