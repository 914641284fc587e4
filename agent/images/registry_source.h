#ifndef BERTH_AGENT_IMAGES_REGISTRY_SOURCE_H_
#define BERTH_AGENT_IMAGES_REGISTRY_SOURCE_H_

// The image store's source for registry names ("busybox",
// "registry.example.com:5000/team/app@sha256:..."), over RegistryClient:
//
//   Resolve: GET the manifest the name's tag or digest names; an index
//            (OCI index, Docker manifest list) → the linux/<this arch>
//            entry → GET that manifest by digest. Both are verified against
//            their digests (RegistryClient).
//   Check:   HEAD of the tag's manifest: the digest it names now, to compare
//            with what the store pulled before (one request; a name pinned
//            by digest needs none).
//   Fetch:   the blob, streamed into the store's file and verified.

#include <string>

#include "agent/images/image_source.h"
#include "agent/images/registry_client.h"

namespace berth::images {

class RegistrySource final : public ImageSource {
 public:
  // `client` must outlive the source. `arch`: GOARCH of this machine
  // (HostArchitecture()).
  RegistrySource(RegistryClient& client, std::string arch);

  void Resolve(const ImageName& name,
               absl::AnyInvocable<void(absl::StatusOr<ResolvedManifest>)> done) override;
  void Check(const ImageName& name,
             absl::AnyInvocable<void(absl::StatusOr<std::optional<Digest>>)> done) override;
  void Fetch(const ImageName& name, const Descriptor& blob, int out_fd,
             absl::AnyInvocable<void(absl::Status)> done) override;

 private:
  RegistryClient& client_;
  std::string arch_;
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_REGISTRY_SOURCE_H_
