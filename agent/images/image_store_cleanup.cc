// ImageStore's cleanup (ECS_IMAGE_CLEANUP_*): image_store.h has the rules.
//
//   loop:   snapshot the manifests refs/ names
//   worker: read each one: its config and layer digests
//   loop:   choose (no lease, no Get in flight, old enough, least recently
//           used first); keep what any other image uses; forget the victims
//           and mark their layers and blobs as being removed (EnsureLayer and
//           EnsureBlob wait for those)
//           (and unlink their refs/ files, on the loop as SaveRef writes them)
//   worker: move each layer out of layers/ and remove it, unlink the blobs
//   loop:   clear the marks, run the waiting calls, report

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "agent/images/fs_util.h"
#include "agent/images/image_store.h"
#include "agent/images/oci_json.h"
#include "io/log.h"

namespace berth::images {

struct ImageStore::CleanupPlan {
  CleanupPolicy policy;
  absl::AnyInvocable<void(CleanupResult)> done;
  // What each pulled manifest names (read on a worker), by manifest digest.
  struct Contents {
    Digest config;
    std::vector<Digest> layers;
  };
  absl::flat_hash_map<Digest, Contents> contents;
  std::vector<Digest> layers;
  std::vector<Digest> blobs;
  CleanupResult result;
};

void ImageStore::EnableCleanup(absl::Duration interval, CleanupPolicy policy) {
  if (cleanup_timer_ != 0) {
    loop_.CancelTimer(cleanup_timer_);
  }
  cleanup_timer_ = loop_.AddTimer(interval, [this, alive = alive_, interval, policy]() {
    if (!*alive) {
      return;
    }
    cleanup_timer_ = 0;
    Cleanup(policy, [this, alive, interval, policy](CleanupResult r) {
      if (!r.removed_names.empty()) {
        LOG(INFO) << "image cleanup removed " << r.removed_names.size() << " image name(s), "
                  << r.layers_removed << " layer(s) and " << r.blobs_removed << " blob(s)";
      }
      if (*alive) {
        EnableCleanup(interval, policy);
      }
    });
  });
}

void ImageStore::Cleanup(const CleanupPolicy& policy,
                         absl::AnyInvocable<void(CleanupResult)> done) {
  if (cleaning_) {
    loop_.Post([done = std::move(done)]() mutable { done(CleanupResult{}); });
    return;
  }
  cleaning_ = true;
  ++stats_.cleanups;
  auto plan = std::make_shared<CleanupPlan>();
  plan->policy = policy;
  plan->done = std::move(done);
  std::vector<std::pair<Digest, std::string>> manifests;
  absl::flat_hash_set<Digest> seen;
  for (const auto& [name, ref] : refs_) {
    if (seen.insert(ref.manifest).second) {
      manifests.emplace_back(ref.manifest, BlobPath(ref.manifest));
    }
  }
  using Contents = absl::flat_hash_map<Digest, CleanupPlan::Contents>;
  pool_.Submit<Contents>(
      [manifests = std::move(manifests)]() {
        Contents out;
        for (const auto& [digest, path] : manifests) {
          absl::StatusOr<std::string> bytes = ReadFileAt(AT_FDCWD, path, 4 << 20);
          absl::StatusOr<Manifest> m =
              bytes.ok() ? ParseManifest(*bytes) : absl::StatusOr<Manifest>(bytes.status());
          if (!m.ok()) {
            continue;  // not known: never removed by this cleanup
          }
          CleanupPlan::Contents& c = out[digest];
          c.config = m->config.digest;
          for (const Descriptor& l : m->layers) {
            c.layers.push_back(l.digest);
          }
        }
        return out;
      },
      [this, alive = alive_, plan](Contents contents) {
        if (!*alive) {
          return;
        }
        plan->contents = std::move(contents);
        // Decide on the loop, with the leases and Gets as they are now.
        struct Candidate {
          Digest manifest;
          std::vector<std::string> names;
          absl::Time last_used = absl::InfinitePast();
          absl::Time pulled_at = absl::InfinitePast();
          bool eligible = true;
        };
        absl::flat_hash_map<Digest, Candidate> images;
        for (const auto& [name, ref] : refs_) {
          Candidate& c = images[ref.manifest];
          c.manifest = ref.manifest;
          c.names.push_back(name);
          c.last_used = std::max(c.last_used, ref.last_used);
          c.pulled_at = std::max(c.pulled_at, ref.pulled_at);
          c.eligible &= !pending_.contains(name);
        }
        absl::Time now = loop_.time().Now();
        std::vector<Candidate*> victims;
        for (auto& [manifest, c] : images) {
          auto known = plan->contents.find(manifest);
          if (!c.eligible || known == plan->contents.end() ||
              uses_.contains(known->second.config.str()) ||
              now - c.pulled_at < plan->policy.minimum_age) {
            continue;
          }
          victims.push_back(&c);
        }
        std::sort(victims.begin(), victims.end(), [](const Candidate* a, const Candidate* b) {
          return a->last_used != b->last_used ? a->last_used < b->last_used
                                              : a->manifest < b->manifest;
        });
        if (victims.size() > static_cast<size_t>(std::max(0, plan->policy.max_images))) {
          victims.resize(static_cast<size_t>(std::max(0, plan->policy.max_images)));
        }
        absl::flat_hash_set<Digest> doomed;
        for (const Candidate* v : victims) {
          doomed.insert(v->manifest);
        }
        // What stays in use: every other pulled image, every image in
        // memory (layouts, leased ones), every unpack in flight.
        absl::flat_hash_set<Digest> kept_layers;
        absl::flat_hash_set<Digest> kept_blobs;
        for (const auto& [manifest, c] : images) {
          if (doomed.contains(manifest)) {
            continue;
          }
          kept_blobs.insert(manifest);
          if (auto known = plan->contents.find(manifest); known != plan->contents.end()) {
            kept_blobs.insert(known->second.config);
            kept_layers.insert(known->second.layers.begin(), known->second.layers.end());
          }
        }
        for (const auto& [manifest, image] : images_) {
          if (doomed.contains(manifest)) {
            continue;
          }
          kept_blobs.insert(manifest);
          if (absl::StatusOr<Digest> config = Digest::Parse(image.image_id); config.ok()) {
            kept_blobs.insert(*config);
          }
          for (const std::string& dir : image.layer_dirs) {
            if (absl::StatusOr<Digest> d =
                    Digest::Parse(absl::StrCat("sha256:", dir.substr(dir.rfind('/') + 1)));
                d.ok()) {
              kept_layers.insert(*d);
            }
          }
        }
        for (const auto& [digest, waiters] : layer_unpacks_) {
          kept_layers.insert(digest);
        }
        for (const auto& [digest, waiters] : blob_fetches_) {
          kept_blobs.insert(digest);
        }
        absl::flat_hash_set<Digest> layers;
        absl::flat_hash_set<Digest> blobs;
        for (const Candidate* v : victims) {
          const CleanupPlan::Contents& c = plan->contents.at(v->manifest);
          for (const Digest& l : c.layers) {
            if (!kept_layers.contains(l)) {
              layers.insert(l);
            }
          }
          for (const Digest& b : {v->manifest, c.config}) {
            if (!kept_blobs.contains(b)) {
              blobs.insert(b);
            }
          }
          for (const std::string& name : v->names) {
            // On the loop, as SaveRef writes them: never out of step.
            const std::string file = absl::StrCat(root_, "/refs/", Sha256Of(name).hex());
            if (unlink(file.c_str()) != 0 && errno != ENOENT) {
              LOG(WARNING) << "image cleanup: failed to remove " << file << ": errno " << errno;
            }
            plan->result.removed_names.push_back(name);
            refs_.erase(name);
          }
          images_.erase(v->manifest);
        }
        for (const Digest& l : layers) {
          ready_layers_.erase(l);
          removing_layers_.insert(l);
          plan->layers.push_back(l);
        }
        for (const Digest& b : blobs) {
          verified_blobs_.erase(b);
          removing_blobs_.insert(b);
          plan->blobs.push_back(b);
        }
        std::string root = root_;
        uint64_t tmp_base = next_tmp_;
        next_tmp_ += plan->layers.size();
        pool_.Submit<bool>(
            [plan, root, tmp_base]() {
              uint64_t n = tmp_base;
              for (const Digest& l : plan->layers) {
                // Out of layers/ at once, then removed at leisure.
                std::string dir = absl::StrCat(root, "/layers/", l.hex());
                std::string trash = absl::StrCat(root, "/tmp/gc-", l.hex(), "-", n++);
                if (rename(dir.c_str(), trash.c_str()) != 0) {
                  LOG(WARNING) << "image cleanup: failed to remove " << dir << ": errno " << errno;
                  continue;
                }
                if (absl::Status s = RemoveTreeAt(AT_FDCWD, trash); !s.ok()) {
                  LOG(WARNING) << "image cleanup: " << s;
                }
                ++plan->result.layers_removed;
              }
              for (const Digest& b : plan->blobs) {
                std::string path = absl::StrCat(root, "/blobs/sha256/", b.hex());
                if (unlink(path.c_str()) == 0) {
                  ++plan->result.blobs_removed;
                }
              }
              return true;
            },
            [this, alive = alive_, plan](bool) {
              if (*alive) {
                FinishCleanup(plan);
              }
            });
      });
}

void ImageStore::FinishCleanup(std::shared_ptr<CleanupPlan> plan) {
  removing_layers_.clear();
  removing_blobs_.clear();
  cleaning_ = false;
  stats_.images_removed += plan->result.removed_names.size();
  stats_.layers_removed += static_cast<uint64_t>(plan->result.layers_removed);
  std::vector<absl::AnyInvocable<void()>> waiting = std::move(after_cleanup_);
  after_cleanup_.clear();
  for (auto& fn : waiting) {
    fn();
  }
  plan->done(std::move(plan->result));
}

}  // namespace berth::images
