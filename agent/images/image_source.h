#ifndef BERTH_AGENT_IMAGES_IMAGE_SOURCE_H_
#define BERTH_AGENT_IMAGES_IMAGE_SOURCE_H_

// Where images come from. The store asks a source two things: "which
// manifest does this name mean now?" and "write me this blob". It verifies
// every blob a source writes against its digest before keeping it, so a
// source need not (but may) verify on its own.
//
// OciLayoutSource (local OCI image layouts) and RegistrySource (Docker
// Registry HTTP API v2 / OCI distribution, libcurl on the loop).

#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/images/digest.h"
#include "agent/images/image_name.h"
#include "agent/images/oci_json.h"

namespace berth::images {

// A name resolved to one image manifest for this platform (after any index).
struct ResolvedManifest {
  Digest digest = {};       // of `bytes`; the image's manifest digest
  std::string bytes = {};   // the manifest as served, verified against `digest`
  Manifest manifest = {};
  // What the answer depended on, as the source saw it before reading (for a
  // layout: index.json's inode, size and times). While CurrentToken(name)
  // returns the same non-empty token, the store may answer a Get from memory
  // without asking the source again. Empty: always ask.
  std::string token = {};
  // What the name's reference pointed at when it was resolved: the index's
  // digest when it named an index, else the manifest's (`digest`). Check()
  // compares against it. Empty for sources that have no such notion.
  Digest reference_digest = {};
};

// Called on the loop thread; every callback runs on the loop thread, exactly
// once. A source must outlive its pending callbacks (the store owns it and
// destroys it after the worker pool has drained).
class ImageSource {
 public:
  virtual ~ImageSource() = default;

  virtual void Resolve(const ImageName& name,
                       absl::AnyInvocable<void(absl::StatusOr<ResolvedManifest>)> done) = 0;

  // The token Resolve would record now, computed cheaply on the loop thread
  // (one stat at most), or "" when the source cannot tell.
  virtual std::string CurrentToken(const ImageName& /*name*/) { return ""; }

  // Cheaply asks what `name`'s reference points at now (a registry: one
  // HEAD of the manifest), to compare with a ResolvedManifest's
  // reference_digest. nullopt when the source cannot tell without a full
  // Resolve; the default says so.
  virtual void Check(const ImageName& /*name*/,
                     absl::AnyInvocable<void(absl::StatusOr<std::optional<Digest>>)> done) {
    done(std::optional<Digest>());
  }

  // Writes the whole blob `blob` of image `name` to `out_fd` (an empty file
  // in the store's tmp/ that the store owns and closes).
  virtual void Fetch(const ImageName& name, const Descriptor& blob, int out_fd,
                     absl::AnyInvocable<void(absl::Status)> done) = 0;
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_IMAGE_SOURCE_H_
