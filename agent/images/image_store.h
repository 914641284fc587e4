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
#include "absl/time/time.h"
#include "agent/images/digest.h"
#include "agent/images/fs_util.h"
#include "agent/images/image.h"
#include "agent/images/image_name.h"
#include "agent/images/image_source.h"
#include "agent/images/layer_unpacker.h"
#include "io/event_loop.h"
#include "io/worker_pool.h"

namespace berth::images {

// ECS_IMAGE_PULL_BEHAVIOR, for registry names (layouts are local: always
// read again when they changed):
//   kDefault       one HEAD of the tag's manifest; a different digest pulls,
//                  the same one uses the cache; if the registry cannot be
//                  reached and the image is cached, the cache is used
//   kAlways        the same, but a failed check or pull fails the Get
//   kOnce          pulled once; afterwards the cache, with no request at all
//   kPreferCached  the cache when it has the image, with no request at all
// A name pinned by digest is never checked: its content cannot change.
enum class PullBehavior { kDefault, kAlways, kOnce, kPreferCached };

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
    // The source for registry names (a RegistrySource); nullptr: such names
    // fail with FailedPrecondition.
    std::unique_ptr<ImageSource> registry_source = nullptr;
    PullBehavior pull_behavior = PullBehavior::kDefault;
  };

  // A registry name pulled before, as refs/ remembers it across restarts.
  struct Ref {
    std::string name;          // canonical ("docker.io/library/busybox:latest")
    Digest reference_digest;   // what the tag named at the pull (index or manifest)
    Digest manifest;           // the manifest for this platform
    absl::Time pulled_at;      // when that manifest was last pulled
    absl::Time last_used;      // the last Get it answered (in memory only)
  };

  struct Stats {
    uint64_t gets = 0;
    uint64_t cache_hits = 0;       // Gets answered without fetching or unpacking
    uint64_t resolves = 0;         // names resolved through a source
    uint64_t blobs_fetched = 0;    // blobs copied/downloaded into the store
    uint64_t layers_unpacked = 0;  // layer directories created
    uint64_t verify_failures = 0;  // blobs refused for a digest or size mismatch
    uint64_t checks = 0;           // registry names checked with the source (a HEAD)
    uint64_t local_hits = 0;       // registry names answered from the cache
    uint64_t fallbacks = 0;        // ... because the registry could not be asked (kDefault)
    uint64_t cleanups = 0;
    uint64_t images_removed = 0;   // registry names removed by cleanup
    uint64_t layers_removed = 0;
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
  // fetch and unpack. A layout image already complete in this process
  // touches no layer: it is answered from memory while its source's token
  // is unchanged (index.json's stat), else its manifest is resolved again (a
  // tag can move). A registry name follows the pull behaviour (above) and
  // refs/. Errors: the ParseImageName codes, NotFound (no such layout, tag,
  // manifest or blob), DataLoss (a blob failed verification),
  // InvalidArgument (malformed documents, hostile layers), the
  // RegistryClient codes (PermissionDenied, Unavailable, DeadlineExceeded).
  void Get(std::string_view name, absl::AnyInvocable<void(absl::StatusOr<Image>)> done);

  // A use of an image by a task: while any Lease on an image id lives, the
  // image (and its layers) is never removed by Cleanup. Movable;
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

  // Image cleanup (ECS_IMAGE_CLEANUP_INTERVAL, ECS_IMAGE_MINIMUM_CLEANUP_AGE,
  // ECS_NUM_IMAGES_DELETE_PER_CYCLE). Of the registry images this store
  // pulled (refs/), removes up to `max_images` that no Lease holds, that no
  // Get is resolving and that were pulled at least `minimum_age` ago, least
  // recently used first (all names of one manifest go together); then their
  // manifest and config blobs and their layers, unless another remaining
  // image or a leased one uses them. Layers of local OCI layouts are never
  // removed. A Get that needs a layer being removed waits for the removal
  // and unpacks it again.
  struct CleanupPolicy {
    absl::Duration minimum_age = absl::Hours(1);
    int max_images = 5;
  };
  struct CleanupResult {
    std::vector<std::string> removed_names;  // canonical names
    int layers_removed = 0;
    int blobs_removed = 0;
  };
  void Cleanup(const CleanupPolicy& policy, absl::AnyInvocable<void(CleanupResult)> done);
  // Cleanup every `interval` until the store is destroyed.
  void EnableCleanup(absl::Duration interval, CleanupPolicy policy);

  const Stats& stats() const { return stats_; }
  // The registry names pulled before (refs/), by canonical name.
  const Ref* FindRef(std::string_view name) const;
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
  // Registry names: the pull behaviour's decision, a pull, the cache.
  void StartRegistryGet(const std::string& key);
  void Pull(const std::string& key);
  // Answers from the manifest kept in blobs/ (no request unless a blob or
  // layer is missing); `otherwise` runs when that manifest is not there.
  void UseLocal(const std::string& key, const Ref& ref,
                absl::AnyInvocable<void(absl::Status)> otherwise);
  void SaveRef(const std::string& key, const ResolvedManifest& r);
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
  struct CleanupPlan;
  void FinishCleanup(std::shared_ptr<CleanupPlan> plan);

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
  absl::flat_hash_map<std::string, Ref> refs_;  // by canonical name
  bool cleaning_ = false;
  // Layers and blobs being removed by a cleanup, and the EnsureLayer and
  // EnsureBlob calls waiting for it.
  absl::flat_hash_set<Digest> removing_layers_;
  absl::flat_hash_set<Digest> removing_blobs_;
  std::vector<absl::AnyInvocable<void()>> after_cleanup_;
  io::TimerId cleanup_timer_ = 0;
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_IMAGE_STORE_H_
