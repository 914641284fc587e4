#ifndef BERTH_AGENT_IMAGES_IMAGE_H_
#define BERTH_AGENT_IMAGES_IMAGE_H_

// What the image store hands the agent: an image's identity, the parts of its
// config a launch needs, and its unpacked layer directories.

#include <map>
#include <string>
#include <vector>

namespace berth::images {

// The runtime part of an OCI / Docker image config ("config" member). Empty
// members mean "not set by the image".
struct ImageConfig {
  std::vector<std::string> entrypoint = {};
  std::vector<std::string> cmd = {};
  std::vector<std::string> env = {};          // "KEY=VALUE"
  std::string working_dir = {};
  std::string user = {};                      // "uid[:gid]" or "name[:group]"
  std::vector<std::string> exposed_ports = {};  // "80/tcp", sorted
  std::string stop_signal = {};               // "SIGTERM", "15", ...
  std::map<std::string, std::string> labels = {};

  bool operator==(const ImageConfig&) const = default;
};

struct Image {
  std::string name = {};             // as the caller asked for it
  std::string image_id = {};         // "sha256:<config digest hex>" (ImageID in /v1/tasks)
  std::string manifest_digest = {};  // "sha256:..."
  ImageConfig config = {};
  // Absolute paths of the unpacked layers, bottom → top (overlayfs wants
  // lowerdir=top:...:bottom, i.e. this list reversed).
  std::vector<std::string> layer_dirs = {};
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_IMAGE_H_
