#ifndef BERTH_AGENT_IMAGES_IMAGE_NAME_H_
#define BERTH_AGENT_IMAGES_IMAGE_NAME_H_

// The image names a task definition may use. Today only local OCI image
// layouts, named as skopeo and umoci name them:
//
//   oci:<absolute path of the layout>[:<tag>]
//
// Like skopeo (containers/image, oci/internal: SplitPathAndImage), the path
// ends at the FIRST ':' after "oci:", so the path itself cannot contain a
// ':' (skopeo refuses such paths too), and the tag is everything after it.
// The tag follows skopeo's rule ([A-Za-z0-9._-]+); an empty or missing tag
// means "the layout's only manifest". Registry references ("busybox",
// "nginx:1.25", "host:5000/app@sha256:...") come with issue 6 and are refused
// with Unimplemented until then.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::images {

struct ImageName {
  enum class Kind { kOciLayout };
  Kind kind = Kind::kOciLayout;
  std::string layout_path = {};  // absolute, as written (no trailing '/')
  std::string tag = {};          // may be empty: the layout's only manifest

  // The canonical form, "oci:<path>:<tag>" (or "oci:<path>" without a tag).
  std::string ToString() const;
};

// InvalidArgument for a malformed oci: name (relative path, bad tag);
// Unimplemented for anything that is not an oci: name, with a message that
// says registry pulls are not supported yet.
absl::StatusOr<ImageName> ParseImageName(std::string_view name);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_IMAGE_NAME_H_
