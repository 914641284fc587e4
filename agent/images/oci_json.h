#ifndef BERTH_AGENT_IMAGES_OCI_JSON_H_
#define BERTH_AGENT_IMAGES_OCI_JSON_H_

// Decoders for the JSON documents of an image: the OCI layout's oci-layout
// file, image indexes (OCI index, Docker manifest list), image manifests (OCI
// and Docker schema 2) and image configs. Pure functions over bytes; every
// error is InvalidArgument naming the document and the member.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/images/digest.h"
#include "agent/images/image.h"

namespace berth::images {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

bool IsIndexMediaType(std::string_view mt);
bool IsManifestMediaType(std::string_view mt);
bool IsConfigMediaType(std::string_view mt);
// Layers: OCI tar / tar+gzip / tar+zstd (and their nondistributable forms),
// Docker rootfs.diff.tar.gzip (and foreign). The unpacker detects the
// compression itself; the media type only has to be a layer.
bool IsLayerMediaType(std::string_view mt);

struct Platform {
  std::string os = {};
  std::string architecture = {};
  std::string variant = {};
};

struct Descriptor {
  std::string media_type = {};
  Digest digest = {};
  int64_t size = 0;
  std::map<std::string, std::string> annotations = {};
  std::optional<Platform> platform = {};
};

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct Index {
  std::string media_type = {};  // may be empty (optional in OCI)
  std::vector<Descriptor> manifests = {};
};

struct Manifest {
  std::string media_type = {};  // OCI or Docker schema 2; inferred when absent
  Descriptor config = {};
  std::vector<Descriptor> layers = {};
};

struct ConfigFile {
  std::string os = {};
  std::string architecture = {};
  ImageConfig config = {};
  std::vector<Digest> diff_ids = {};  // rootfs.diff_ids
};

// The oci-layout file: {"imageLayoutVersion": "1.0.0"} (1.x accepted).
absl::Status ParseOciLayoutFile(std::string_view json);
absl::StatusOr<Index> ParseIndex(std::string_view json);
absl::StatusOr<Manifest> ParseManifest(std::string_view json);
absl::StatusOr<ConfigFile> ParseConfig(std::string_view json);

// This machine's architecture in GOARCH words ("amd64", "arm64", ...).
std::string HostArchitecture();

// The descriptor of `index` for linux + `arch` (variant ignored when empty),
// or NotFound listing the platforms the index has.
absl::StatusOr<Descriptor> SelectPlatform(const Index& index, std::string_view arch,
                                          std::string_view variant);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_OCI_JSON_H_
