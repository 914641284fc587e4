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
// CurrentToken: stat(index.json) — inode, size, mtime and ctime — so a
// cached image is answered without re-reading the layout until index.json
// changes (umoci and skopeo rewrite it whenever a tag moves). File times
// are only as fine as the kernel's clock tick, so an index.json changed less
// than kRacyWindow before it was read gives no token ("racy git"): a
// same-size rewrite in the same tick could not be told apart.
// The blocking file work runs on the worker pool.

#include "absl/time/time.h"
#include "agent/images/image_source.h"
#include "io/time_source.h"
#include "io/worker_pool.h"

namespace berth::images {

inline constexpr absl::Duration kRacyWindow = absl::Seconds(2);

// Blocking: resolves `name` in its layout; `now` (wall clock) decides
// whether index.json is old enough to give a token. Exposed for tests.
absl::StatusOr<ResolvedManifest> ResolveOciLayout(const ImageName& name, std::string_view arch,
                                                  std::string_view variant, absl::Time now);
// Blocking: copies blob `blob` of the layout of `name` to `out_fd`.
absl::Status CopyOciLayoutBlob(const ImageName& name, const Descriptor& blob, int out_fd);

class OciLayoutSource final : public ImageSource {
 public:
  // `clock` is the loop's (read on the loop thread only).
  OciLayoutSource(io::WorkerPool& pool, const io::TimeSource& clock);

  void Resolve(const ImageName& name,
               absl::AnyInvocable<void(absl::StatusOr<ResolvedManifest>)> done) override;
  void Fetch(const ImageName& name, const Descriptor& blob, int out_fd,
             absl::AnyInvocable<void(absl::Status)> done) override;
  std::string CurrentToken(const ImageName& name) override;

 private:
  io::WorkerPool& pool_;
  const io::TimeSource& clock_;
  std::string arch_;
  std::string variant_;
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_OCI_LAYOUT_SOURCE_H_
