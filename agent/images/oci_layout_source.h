#ifndef BERTH_AGENT_IMAGES_OCI_LAYOUT_SOURCE_H_
#define BERTH_AGENT_IMAGES_OCI_LAYOUT_SOURCE_H_

// ImageSource for OCI image layouts on local disk (image-spec
// image-layout.md): oci-layout, index.json, blobs/sha256/<hex>.
//
// Resolve: index.json's manifest whose org.opencontainers.image.ref.name
// annotation equals the tag (or the only manifest when the tag is empty);
// a nested index (OCI index or Docker manifest list) is followed to its
// linux/<this machine's architecture> entry, two levels at most. Every
// document read is verified against its descriptor's digest and size.
// Fetch: copies the blob (copy_file_range) into the store's file.
// The blocking file work runs on the worker pool.

#include "agent/images/image_source.h"
#include "io/worker_pool.h"

namespace berth::images {

// Blocking: resolves `name` in its layout. Exposed for tests.
absl::StatusOr<ResolvedManifest> ResolveOciLayout(const ImageName& name, std::string_view arch,
                                                  std::string_view variant);
// Blocking: copies blob `blob` of the layout of `name` to `out_fd`.
absl::Status CopyOciLayoutBlob(const ImageName& name, const Descriptor& blob, int out_fd);

class OciLayoutSource final : public ImageSource {
 public:
  explicit OciLayoutSource(io::WorkerPool& pool);

  void Resolve(const ImageName& name,
               absl::AnyInvocable<void(absl::StatusOr<ResolvedManifest>)> done) override;
  void Fetch(const ImageName& name, const Descriptor& blob, int out_fd,
             absl::AnyInvocable<void(absl::Status)> done) override;

 private:
  io::WorkerPool& pool_;
  std::string arch_;
  std::string variant_;
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_OCI_LAYOUT_SOURCE_H_
