#ifndef BERTH_AGENT_IMAGES_IMAGE_STORE_H_
#define BERTH_AGENT_IMAGES_IMAGE_STORE_H_

// The node's image store: resolves an image name through a source, keeps
// verified blobs by digest, unpacks each layer once into a directory shared
// by every image that uses it, and hands the agent an Image (config + layer
// directories for overlayfs). README.md in this folder has the on-disk
// layout and the safety rules.
//
//   Get(name) ──▶ source.Resolve ──▶ manifest (verified) ──▶ config blob
//        │                                                   (fetch, verify)
//        └──▶ per layer, shared by digest across Gets:
//               fetch blob → tmp/ → verify sha256 → blobs/sha256/<hex>
//               → unpack (worker: berth-unpack) → tmp/unpack-<hex>-N → rename
//               → layers/<hex>
//
// Threading: every method runs on the loop thread and every callback runs
// there. Blocking file work (copy, hash, unpack, fsync) runs on the worker
// pool. The store must be destroyed on the loop thread; callbacks still in
// flight then are dropped.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "agent/images/digest.h"
#include "agent/images/fs_util.h"
#include "agent/images/image.h"
#include "agent/images/image_name.h"
#include "agent/images/image_source.h"
#include "agent/images/layer_unpacker.h"
#include "io/event_loop.h"
#include "io/worker_pool.h"

namespace berth::images {

class ImageStore {
 public:
  struct Options {
    // fsync blobs and syncfs unpacked layers before they become visible, so
    // a power cut never leaves a complete-looking but empty layer. Tests on
    // throwaway dirs may turn it off.
    bool durable = true;
    // The source for oci: names; nullptr = OciLayoutSource on `pool`.
    std::unique_ptr<ImageSource> oci_source = nullptr;
    // berth-unpack, which unpacks each layer in a process of its own (the
    // agent finds it: FindHelperBinary in agent/main.cc). Without it (and
    // without `unpacker`) every unpack fails with FailedPrecondition.
    std::string unpack_path = {};
    // The layer unpacker; nullptr = a HelperUnpacker running `unpack_path`.
    std::unique_ptr<LayerUnpacker> unpacker = nullptr;
  };

  struct Stats {
    uint64_t gets = 0;
    uint64_t cache_hits = 0;       // Gets answered without fetching or unpacking
    uint64_t resolves = 0;         // names resolved through a source
    uint64_t blobs_fetched = 0;    // blobs copied/downloaded into the store
    uint64_t layers_unpacked = 0;  // layer directories created
    uint64_t verify_failures = 0;  // blobs refused for a digest or size mismatch
  };

  // Opens (creating) the store under `root` (the agent passes
  // <ECS_DATADIR>/images): creates blobs/sha256, layers and tmp, empties tmp/
  // (what an interrupted fetch or unpack left), and indexes the layers
  // already unpacked. Blocking; call at start-up.
  static absl::StatusOr<std::unique_ptr<ImageStore>> Open(io::EventLoop& loop,
                                                          io::WorkerPool& pool, std::string root,
                                                          Options options);
  static absl::StatusOr<std::unique_ptr<ImageStore>> Open(io::EventLoop& loop,
                                                          io::WorkerPool& pool,
                                                          std::string root) {
    return Open(loop, pool, std::move(root), Options());
  }
  ~ImageStore();
  ImageStore(const ImageStore&) = delete;
  ImageStore& operator=(const ImageStore&) = delete;

  // Resolves `name` and makes its layers ready. Concurrent Gets of the same
  // name share one resolution; concurrent needs of the same layer share one
  // fetch and unpack. An image already complete in this process touches no
  // layer: it is answered from memory while its source's token is unchanged
  // (for a layout: index.json's stat), else its manifest is resolved again
  // (a tag can move). Errors: the
  // ParseImageName codes (Unimplemented for registry names), NotFound (no
  // such layout, tag or blob), DataLoss (a blob failed verification),
  // InvalidArgument (malformed documents, hostile layers).
  void Get(std::string_view name, absl::AnyInvocable<void(absl::StatusOr<Image>)> done);

  // A use of an image by a task: while any Lease on an image id lives, the
  // image (and its layers) is never removed by cleanup (issue 6). Movable;
  // destroy on the loop thread, before the store.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : store_(o.store_), image_id_(std::move(o.image_id_)) {
      o.store_ = nullptr;
    }
    Lease& operator=(Lease&& o) noexcept;
    ~Lease() { Release(); }
    void Release();
    const std::string& image_id() const { return image_id_; }

   private:
    friend class ImageStore;
    Lease(ImageStore* store, std::string image_id)
        : store_(store), image_id_(std::move(image_id)) {}
    ImageStore* store_ = nullptr;
    std::string image_id_;
  };
  Lease Acquire(const Image& image);
  int UseCount(std::string_view image_id) const;

  const Stats& stats() const { return stats_; }
  const std::string& root() const { return root_; }
  // The directory a layer blob unpacks into: <root>/layers/<hex>.
  std::string LayerDir(const Digest& layer) const;

 private:
  struct Pending;      // one Get in flight (by name)
  struct BlobWaiters;  // one blob fetch in flight (by digest)
  struct LayerWaiters;  // one layer unpack in flight (by digest)
  using StatusCb = absl::AnyInvocable<void(absl::Status)>;

  ImageStore(io::EventLoop& loop, io::WorkerPool& pool, std::string root, Options options);

  ImageSource* SourceFor(const ImageName& name);
  void OnResolved(const std::string& key, absl::StatusOr<ResolvedManifest> r);
  void OnConfig(const std::string& key, absl::StatusOr<ConfigFile> config);
  void FinishGet(const std::string& key, absl::StatusOr<Image> result);
  void Remember(const std::string& key, const ResolvedManifest& r);

  // Makes blob `d` present and verified in blobs/sha256/<hex>.
  void EnsureBlob(const ImageName& name, const Descriptor& d, StatusCb done);
  // Makes layer `d` unpacked in layers/<hex>.
  void EnsureLayer(const ImageName& name, const Descriptor& d, StatusCb done);
  void FinishBlob(const Digest& d, absl::Status s);
  void FinishLayer(const Digest& d, absl::Status s);

  std::string BlobPath(const Digest& d) const;
  void Release(const std::string& image_id);

  io::EventLoop& loop_;
  io::WorkerPool& pool_;
  std::string root_;
  Options options_;
  // Shared with the unpacks in flight on the workers: they may outlive us.
  std::shared_ptr<LayerUnpacker> unpacker_;
  std::shared_ptr<bool> alive_;  // callbacks check it: the store may be gone
  uint64_t next_tmp_ = 0;
  Stats stats_;

  absl::flat_hash_map<std::string, std::unique_ptr<Pending>> pending_;  // by canonical name
  absl::flat_hash_map<Digest, std::unique_ptr<BlobWaiters>> blob_fetches_;
  absl::flat_hash_map<Digest, std::unique_ptr<LayerWaiters>> layer_unpacks_;
  absl::flat_hash_set<Digest> verified_blobs_;  // present in blobs/ and verified by this process
  absl::flat_hash_set<Digest> ready_layers_;    // present in layers/
  absl::flat_hash_map<Digest, Image> images_;   // by manifest digest, complete
  struct Resolved {
    std::string token;
    Digest manifest;
  };
  absl::flat_hash_map<std::string, Resolved> resolved_;  // by canonical name, with a token
  absl::flat_hash_map<std::string, int> uses_;  // image id → leases
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_IMAGE_STORE_H_
