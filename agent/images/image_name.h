#ifndef BERTH_AGENT_IMAGES_IMAGE_NAME_H_
#define BERTH_AGENT_IMAGES_IMAGE_NAME_H_

// The image names a task definition may use.
//
// Registry references, by the grammar of Docker's reference library
// (github.com/distribution/reference: reference.go, normalize.go), as
// `docker run` and ECS read them:
//
//   busybox                        → docker.io/library/busybox:latest
//   nginx:1.25                     → docker.io/library/nginx:1.25
//   team/app                       → docker.io/team/app:latest
//   registry.example.com:5000/team/app@sha256:<64 hex>
//   localhost/app:v1, 127.0.0.1:5000/app, [::1]:5000/app
//
// The first path component is the registry (the "domain") when it contains
// a '.' or a ':', is "localhost", or has an upper-case letter; otherwise the
// registry is docker.io and a one-component repository gets "library/".
// "index.docker.io" is docker.io. Repository components are lower case
// ([a-z0-9] separated by '.', '_', '__' or runs of '-'), the whole name at
// most 255 characters; a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a digest
// must be sha256 (the only algorithm the store accepts). Neither tag nor
// digest means ":latest"; with both, the digest decides what is pulled.
// Beyond Docker, a first component taken for a registry must be a valid
// host[:port] ("a_b.c/x" is refused: Docker reads it as a path with no
// registry at all).
//
// Local OCI image layouts, named as skopeo and umoci name them:
//
//   oci:<absolute path of the layout>[:<tag>]
//
// Like skopeo (containers/image, oci/internal: SplitPathAndImage), the path
// ends at the FIRST ':' after "oci:", so the path itself cannot contain a
// ':' (skopeo refuses such paths too), and the tag is everything after it.
// The tag follows skopeo's rule ([A-Za-z0-9._-]+); an empty or missing tag
// means "the layout's only manifest".

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/images/digest.h"

namespace berth::images {

struct ImageName {
  enum class Kind { kOciLayout, kRegistry };
  Kind kind = Kind::kOciLayout;
  // kOciLayout: absolute, as written (no trailing '/').
  std::string layout_path = {};
  // kRegistry: the registry as normalized ("docker.io", "localhost:5000",
  // "registry.example.com", "[::1]:5000") and the repository path within it
  // ("library/busybox", "team/app").
  std::string domain = {};
  std::string repository = {};
  // Both kinds. kOciLayout: may be empty (the layout's only manifest).
  // kRegistry: "latest" when the reference had neither tag nor digest; empty
  // when it had only a digest.
  std::string tag = {};
  // kRegistry: the digest the reference pinned, if any (then it, not the
  // tag, is what is pulled).
  std::optional<Digest> digest = std::nullopt;

  // The canonical form: "oci:<path>:<tag>" (or "oci:<path>" without a tag);
  // "<domain>/<repository>[:<tag>][@<digest>]" ("docker.io/library/busybox:latest").
  std::string ToString() const;
  // kRegistry: the host[:port] the HTTP API is served at: the domain, except
  // docker.io, whose API is at registry-1.docker.io. kOciLayout: "".
  std::string ApiHost() const;
  // kRegistry: what the manifest is fetched by: the digest if pinned, else the tag.
  // kOciLayout: the tag (possibly empty).
  std::string ManifestReference() const;
};

// InvalidArgument for a malformed name, with the reason (Docker's wording
// where it has one: "invalid reference format: repository name must be
// lowercase"); oci: names as above.
absl::StatusOr<ImageName> ParseImageName(std::string_view name);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_IMAGE_NAME_H_
