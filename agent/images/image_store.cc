#include "agent/images/image_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/images/helper_unpacker.h"
#include "agent/images/oci_layout_source.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::images {

namespace {

constexpr size_t kMaxConfig = 16 << 20;

absl::Status MkdirP(const std::string& path, mode_t mode) {
  std::string cur;
  size_t i = 0;
  while (i < path.size()) {
    size_t end = path.find('/', i + 1);
    if (end == std::string::npos) {
      end = path.size();
    }
    cur = path.substr(0, end);
    if (!cur.empty() && mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("create directory ", cur));
    }
    i = end;
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    return ErrnoStatus(ENOTDIR, absl::StrCat("open ", path));
  }
  return absl::OkStatus();
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) {
    return names;
  }
  while (struct dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      names.emplace_back(n);
    }
  }
  closedir(d);
  return names;
}

absl::Status Prefixed(const absl::Status& s, std::string_view prefix) {
  return absl::Status(s.code(), absl::StrCat(Absl(prefix), s.message()));
}

// refs/<sha256 of the name>: {"name", "reference", "manifest", "pulledAt"}.
std::string FormatRef(const ImageStore::Ref& ref) {
  boost::json::object o;
  o["name"] = ref.name;
  o["reference"] = ref.reference_digest.str();
  o["manifest"] = ref.manifest.str();
  o["pulledAt"] = absl::ToUnixSeconds(ref.pulled_at);
  return boost::json::serialize(o) + "\n";
}

absl::StatusOr<ImageStore::Ref> ParseRef(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  const boost::json::object& o = v.as_object();
  const boost::json::value* name = o.if_contains("name");
  const boost::json::value* reference = o.if_contains("reference");
  const boost::json::value* manifest = o.if_contains("manifest");
  const boost::json::value* pulled = o.if_contains("pulledAt");
  if (name == nullptr || !name->is_string() || reference == nullptr || !reference->is_string() ||
      manifest == nullptr || !manifest->is_string() || pulled == nullptr || !pulled->is_int64()) {
    return absl::InvalidArgumentError("missing or mistyped members");
  }
  ImageStore::Ref ref;
  ref.name = std::string(name->as_string());
  ASSIGN_OR_RETURN(ref.reference_digest, Digest::Parse(std::string(reference->as_string())));
  ASSIGN_OR_RETURN(ref.manifest, Digest::Parse(std::string(manifest->as_string())));
  ref.pulled_at = absl::FromUnixSeconds(pulled->as_int64());
  return ref;
}

}  // namespace

struct ImageStore::Pending {
  ImageName name;
  std::vector<absl::AnyInvocable<void(absl::StatusOr<Image>)>> waiters;
  ResolvedManifest resolved;
  std::optional<ConfigFile> config;
  int outstanding = 0;
  absl::Status error;
};

struct ImageStore::BlobWaiters {
  std::vector<StatusCb> waiters;
};

struct ImageStore::LayerWaiters {
  std::vector<StatusCb> waiters;
};

ImageStore::ImageStore(io::EventLoop& loop, io::WorkerPool& pool, std::string root,
                       Options options)
    : loop_(loop),
      pool_(pool),
      root_(std::move(root)),
      options_(std::move(options)),
      alive_(std::make_shared<bool>(true)) {
  if (options_.oci_source == nullptr) {
    options_.oci_source = std::make_unique<OciLayoutSource>(pool_, loop_.time());
  }
  unpacker_ = options_.unpacker != nullptr
                  ? std::shared_ptr<LayerUnpacker>(std::move(options_.unpacker))
                  : std::make_shared<HelperUnpacker>(options_.unpack_path);
}

ImageStore::~ImageStore() {
  *alive_ = false;
  if (cleanup_timer_ != 0) {
    loop_.CancelTimer(cleanup_timer_);
  }
}

absl::StatusOr<std::unique_ptr<ImageStore>> ImageStore::Open(io::EventLoop& loop,
                                                             io::WorkerPool& pool,
                                                             std::string root, Options options) {
  while (root.size() > 1 && root.back() == '/') {
    root.pop_back();
  }
  if (root.empty() || root[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to open the image store: root \"", root, "\" is not absolute"));
  }
  RETURN_IF_ERROR(MkdirP(root, 0700));
  for (const char* sub : {"/blobs", "/blobs/sha256", "/layers", "/refs", "/tmp"}) {
    RETURN_IF_ERROR(MkdirP(root + sub, 0700));
  }
  // Whatever an interrupted fetch or unpack left behind goes: nothing in
  // tmp/ was ever visible under blobs/ or layers/.
  std::string tmp = root + "/tmp";
  {
    Fd tmp_fd(open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!tmp_fd.valid()) {
      return ErrnoStatus(errno, absl::StrCat("open ", tmp));
    }
    for (const std::string& n : ListDir(tmp)) {
      LOG(INFO) << "image store: removing " << tmp << "/" << n << " left by an interrupted run";
      RETURN_IF_ERROR(RemoveTreeAt(tmp_fd.get(), n));
    }
  }
  std::unique_ptr<ImageStore> store(new ImageStore(loop, pool, root, std::move(options)));
  for (const std::string& n : ListDir(root + "/layers")) {
    absl::StatusOr<Digest> d = Digest::Parse(absl::StrCat("sha256:", n));
    if (d.ok()) {
      store->ready_layers_.insert(*std::move(d));
    } else {
      LOG(WARNING) << "image store: ignoring " << root << "/layers/" << n;
    }
  }
  for (const std::string& n : ListDir(root + "/refs")) {
    std::string path = absl::StrCat(root, "/refs/", n);
    absl::StatusOr<std::string> text = ReadFileAt(AT_FDCWD, path, 64 << 10);
    absl::StatusOr<Ref> ref = text.ok() ? ParseRef(*text) : text.status();
    if (!ref.ok()) {
      LOG(WARNING) << "image store: ignoring " << path << ": " << ref.status().message();
      continue;
    }
    ref->last_used = ref->pulled_at;
    std::string name = ref->name;
    store->refs_.insert_or_assign(std::move(name), *std::move(ref));
  }
  return store;
}

const ImageStore::Ref* ImageStore::FindRef(std::string_view name) const {
  auto it = refs_.find(std::string(name));
  return it == refs_.end() ? nullptr : &it->second;
}

std::string ImageStore::LayerDir(const Digest& layer) const {
  return absl::StrCat(root_, "/layers/", layer.hex());
}

std::string ImageStore::BlobPath(const Digest& d) const {
  return absl::StrCat(root_, "/blobs/sha256/", d.hex());
}

ImageSource* ImageStore::SourceFor(const ImageName& name) {
  switch (name.kind) {
    case ImageName::Kind::kOciLayout:
      return options_.oci_source.get();
    case ImageName::Kind::kRegistry:
      return options_.registry_source.get();
  }
  return nullptr;
}

void ImageStore::Get(std::string_view name_text,
                     absl::AnyInvocable<void(absl::StatusOr<Image>)> done) {
  ++stats_.gets;
  absl::StatusOr<ImageName> name = ParseImageName(name_text);
  if (!name.ok()) {
    loop_.Post([done = std::move(done), s = name.status()]() mutable { done(s); });
    return;
  }
  if (SourceFor(*name) == nullptr) {
    loop_.Post([done = std::move(done),
                s = absl::FailedPreconditionError(absl::StrCat(
                    "failed to pull image \"", Absl(name_text),
                    "\": this agent has no registry client"))]() mutable { done(s); });
    return;
  }
  std::string key = name->ToString();
  // The fast path: a complete image whose source says nothing changed.
  if (auto r = resolved_.find(key); r != resolved_.end()) {
    auto cached = images_.find(r->second.manifest);
    if (cached != images_.end() && SourceFor(*name)->CurrentToken(*name) == r->second.token) {
      ++stats_.cache_hits;
      Image image = cached->second;
      image.name = key;
      loop_.Post([done = std::move(done), image = std::move(image)]() mutable {
        done(std::move(image));
      });
      return;
    }
    resolved_.erase(r);
  }
  auto [it, inserted] = pending_.try_emplace(key, nullptr);
  if (!inserted) {
    it->second->waiters.push_back(std::move(done));
    return;
  }
  it->second = std::make_unique<Pending>();
  it->second->name = *name;
  it->second->waiters.push_back(std::move(done));
  if (name->kind == ImageName::Kind::kRegistry) {
    StartRegistryGet(key);
    return;
  }
  ++stats_.resolves;
  SourceFor(*name)->Resolve(
      *name, [this, alive = alive_, key](absl::StatusOr<ResolvedManifest> r) mutable {
        if (*alive) {
          OnResolved(key, std::move(r));
        }
      });
}

void ImageStore::OnResolved(const std::string& key, absl::StatusOr<ResolvedManifest> r) {
  Pending& p = *pending_.at(key);
  if (!r.ok()) {
    FinishGet(key, r.status());
    return;
  }
  p.resolved = *std::move(r);
  if (auto cached = images_.find(p.resolved.digest); cached != images_.end()) {
    ++stats_.cache_hits;
    Remember(key, p.resolved);
    if (p.name.kind == ImageName::Kind::kRegistry) {
      SaveRef(key, p.resolved);
    }
    Image image = cached->second;
    image.name = key;
    FinishGet(key, std::move(image));
    return;
  }
  const Manifest& m = p.resolved.manifest;
  p.outstanding = 1 + static_cast<int>(m.layers.size());
  auto step = [this, alive = alive_, key](absl::Status s) {
    if (!*alive) {
      return;
    }
    Pending& p = *pending_.at(key);
    if (!s.ok() && p.error.ok()) {
      p.error = s;
    }
    if (--p.outstanding > 0) {
      return;
    }
    if (!p.error.ok()) {
      FinishGet(key, p.error);
      return;
    }
    Image image;
    image.name = key;
    image.image_id = p.resolved.manifest.config.digest.str();
    image.manifest_digest = p.resolved.digest.str();
    image.config = p.config->config;
    for (const Descriptor& l : p.resolved.manifest.layers) {
      image.layer_dirs.push_back(LayerDir(l.digest));
    }
    images_[p.resolved.digest] = image;
    Remember(key, p.resolved);
    if (p.name.kind == ImageName::Kind::kRegistry) {
      SaveRef(key, p.resolved);
    }
    FinishGet(key, std::move(image));
  };

  // The config (and the manifest, kept beside it in blobs/).
  EnsureBlob(p.name, m.config, [this, alive = alive_, key, step](absl::Status s) mutable {
    if (!*alive) {
      return;
    }
    if (!s.ok()) {
      step(s);
      return;
    }
    Pending& p = *pending_.at(key);
    std::string manifest_path = BlobPath(p.resolved.digest);
    std::string tmp_path = absl::StrCat(root_, "/tmp/manifest-", p.resolved.digest.hex(), "-",
                                        next_tmp_++);
    std::string config_path = BlobPath(p.resolved.manifest.config.digest);
    Descriptor config = p.resolved.manifest.config;
    size_t layers = p.resolved.manifest.layers.size();
    std::string arch = HostArchitecture();
    pool_.Submit<absl::StatusOr<ConfigFile>>(
        [manifest = p.resolved.bytes, manifest_path, tmp_path, config_path, config, layers,
         arch]() -> absl::StatusOr<ConfigFile> {
          // Keep the manifest by digest (it was verified by the source).
          if (access(manifest_path.c_str(), F_OK) != 0) {
            Fd fd(open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
            if (!fd.valid()) {
              return ErrnoStatus(errno, absl::StrCat("create ", tmp_path));
            }
            RETURN_IF_ERROR(WriteAll(fd.get(), manifest, tmp_path));
            if (rename(tmp_path.c_str(), manifest_path.c_str()) != 0) {
              return ErrnoStatus(errno, absl::StrCat("rename ", tmp_path));
            }
          }
          ASSIGN_OR_RETURN(std::string bytes, ReadFileAt(AT_FDCWD, config_path, kMaxConfig));
          RETURN_IF_ERROR(VerifyBytes(bytes, config.digest, config.size,
                                      absl::StrCat("image config ", config.digest.str())));
          ASSIGN_OR_RETURN(ConfigFile c, ParseConfig(bytes));
          if (!c.os.empty() && c.os != "linux") {
            return absl::FailedPreconditionError(
                absl::StrCat("the image is for ", c.os, ", not linux"));
          }
          if (!c.architecture.empty() && c.architecture != arch) {
            return absl::FailedPreconditionError(absl::StrCat(
                "the image is for linux/", c.architecture, ", this machine is linux/", arch));
          }
          if (!c.diff_ids.empty() && c.diff_ids.size() != layers) {
            return absl::InvalidArgumentError(
                absl::StrCat("invalid image: the config lists ", c.diff_ids.size(),
                             " layers (rootfs.diff_ids), the manifest ", layers));
          }
          return c;
        },
        [this, alive = alive_, key, step](absl::StatusOr<ConfigFile> c) mutable {
          if (!*alive) {
            return;
          }
          if (c.ok()) {
            pending_.at(key)->config = *std::move(c);
            step(absl::OkStatus());
          } else {
            step(Prefixed(c.status(), absl::StrCat("image ", key, ": ")));
          }
        });
  });
  for (const Descriptor& layer : m.layers) {
    EnsureLayer(p.name, layer, step);
  }
}

void ImageStore::StartRegistryGet(const std::string& key) {
  Pending& p = *pending_.at(key);
  auto found = refs_.find(key);
  if (found == refs_.end()) {
    Pull(key);
    return;
  }
  const Ref ref = found->second;
  const PullBehavior behavior = options_.pull_behavior;
  if (p.name.digest.has_value() || behavior == PullBehavior::kOnce ||
      behavior == PullBehavior::kPreferCached) {
    UseLocal(key, ref, [this, key](absl::Status) { Pull(key); });
    return;
  }
  ++stats_.checks;
  SourceFor(p.name)->Check(p.name, [this, alive = alive_, key, ref, behavior](
                                       absl::StatusOr<std::optional<Digest>> now) {
    if (!*alive) {
      return;
    }
    if (!now.ok()) {
      if (behavior != PullBehavior::kDefault) {
        FinishGet(key, now.status());
        return;
      }
      LOG(WARNING) << "image store: " << now.status().message() << "; using the cached "
                   << key << " (" << ref.manifest.str() << ")";
      ++stats_.fallbacks;
      UseLocal(key, ref, [this, key, failure = now.status()](absl::Status) {
        FinishGet(key, failure);
      });
      return;
    }
    if (now->has_value() && **now == ref.reference_digest) {
      UseLocal(key, ref, [this, key](absl::Status) { Pull(key); });
      return;
    }
    Pull(key);
  });
}

void ImageStore::Pull(const std::string& key) {
  Pending& p = *pending_.at(key);
  ++stats_.resolves;
  SourceFor(p.name)->Resolve(
      p.name, [this, alive = alive_, key](absl::StatusOr<ResolvedManifest> r) mutable {
        if (!*alive) {
          return;
        }
        auto found = refs_.find(key);
        if (!r.ok() && found != refs_.end() && options_.pull_behavior == PullBehavior::kDefault) {
          // The default behaviour: a pull that fails falls back to the cache.
          LOG(WARNING) << "image store: " << r.status().message() << "; using the cached "
                       << key << " (" << found->second.manifest.str() << ")";
          ++stats_.fallbacks;
          UseLocal(key, found->second, [this, key, failure = r.status()](absl::Status) {
            FinishGet(key, failure);
          });
          return;
        }
        OnResolved(key, std::move(r));
      });
}

void ImageStore::UseLocal(const std::string& key, const Ref& ref,
                          absl::AnyInvocable<void(absl::Status)> otherwise) {
  if (auto cached = images_.find(ref.manifest); cached != images_.end()) {
    ++stats_.local_hits;
    refs_[key].last_used = loop_.time().Now();
    Image image = cached->second;
    image.name = key;
    // Never inside Get: FinishGet runs the waiters.
    loop_.Post([this, alive = alive_, key, image = std::move(image)]() mutable {
      if (*alive) {
        FinishGet(key, std::move(image));
      }
    });
    return;
  }
  std::string path = BlobPath(ref.manifest);
  Digest manifest = ref.manifest;
  Digest reference = ref.reference_digest;
  pool_.Submit<absl::StatusOr<ResolvedManifest>>(
      [path, manifest, reference]() -> absl::StatusOr<ResolvedManifest> {
        ASSIGN_OR_RETURN(std::string bytes, ReadFileAt(AT_FDCWD, path, 4 << 20));
        RETURN_IF_ERROR(VerifyBytes(bytes, manifest, -1, absl::StrCat("manifest ", manifest.str())));
        ASSIGN_OR_RETURN(Manifest m, ParseManifest(bytes));
        ResolvedManifest r;
        r.digest = manifest;
        r.bytes = std::move(bytes);
        r.manifest = std::move(m);
        r.reference_digest = reference;
        return r;
      },
      [this, alive = alive_, key, otherwise = std::move(otherwise)](
          absl::StatusOr<ResolvedManifest> r) mutable {
        if (!*alive) {
          return;
        }
        if (!r.ok()) {
          LOG(INFO) << "image store: the cached manifest of " << key
                    << " cannot be used: " << r.status().message();
          otherwise(r.status());
          return;
        }
        ++stats_.local_hits;
        refs_[key].last_used = loop_.time().Now();
        OnResolved(key, std::move(r));
      });
}

void ImageStore::SaveRef(const std::string& key, const ResolvedManifest& r) {
  absl::Time now = loop_.time().Now();
  auto [it, inserted] = refs_.try_emplace(key);
  Ref& ref = it->second;
  ref.last_used = now;
  if (!inserted && ref.manifest == r.digest && ref.reference_digest == r.reference_digest) {
    return;  // nothing new to remember
  }
  ref.name = key;
  ref.manifest = r.digest;
  ref.reference_digest = r.reference_digest.str().empty() ? r.digest : r.reference_digest;
  ref.pulled_at = now;
  // Written here, on the loop thread, never on a worker: a cleanup removing
  // the same name runs on the loop too, so the file and refs_ never disagree
  // (a write finishing after the cleanup's unlink would resurrect the ref).
  // No fsync: a ref lost in a power cut only costs a pull again, and the
  // loop must not wait for the disk.
  const std::string path = absl::StrCat(root_, "/refs/", Sha256Of(key).hex());
  const std::string tmp = absl::StrCat(root_, "/tmp/ref-", next_tmp_++);
  absl::Status written = [&]() -> absl::Status {
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      return ErrnoStatus(errno, absl::StrCat("create ", tmp));
    }
    RETURN_IF_ERROR(WriteAll(fd.get(), FormatRef(ref), tmp));
    if (rename(tmp.c_str(), path.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("rename ", tmp, " to ", path));
    }
    return absl::OkStatus();
  }();
  if (!written.ok()) {
    unlink(tmp.c_str());
    // The image is complete; only the memory of the pull across a restart
    // is lost (the next Get after a restart pulls again).
    LOG(WARNING) << "image store: failed to remember " << key << ": " << written;
  }
}

void ImageStore::Remember(const std::string& key, const ResolvedManifest& r) {
  if (!r.token.empty()) {
    resolved_[key] = Resolved{r.token, r.digest};
  }
}

void ImageStore::FinishGet(const std::string& key, absl::StatusOr<Image> result) {
  auto it = pending_.find(key);
  CHECK(it != pending_.end());
  std::unique_ptr<Pending> p = std::move(it->second);
  pending_.erase(it);
  for (auto& w : p->waiters) {
    w(result);
  }
}

void ImageStore::EnsureBlob(const ImageName& name, const Descriptor& d, StatusCb done) {
  if (removing_blobs_.contains(d.digest)) {
    after_cleanup_.push_back([this, name, d, done = std::move(done)]() mutable {
      EnsureBlob(name, d, std::move(done));
    });
    return;
  }
  if (verified_blobs_.contains(d.digest)) {
    loop_.Post([done = std::move(done)]() mutable { done(absl::OkStatus()); });
    return;
  }
  auto [it, inserted] = blob_fetches_.try_emplace(d.digest, nullptr);
  if (!inserted) {
    it->second->waiters.push_back(std::move(done));
    return;
  }
  it->second = std::make_unique<BlobWaiters>();
  it->second->waiters.push_back(std::move(done));

  std::string final_path = BlobPath(d.digest);
  std::string tmp_path =
      absl::StrCat(root_, "/tmp/blob-", d.digest.hex(), "-", next_tmp_++);
  std::string what = absl::StrCat("blob ", d.digest.str(), " of ", name.ToString());
  // Step 1 (worker): a blob already on disk (an earlier run) is verified
  // again; otherwise a temp file is made for the source to fill.
  struct Prep {
    bool present = false;
    std::shared_ptr<Fd> tmp;
  };
  pool_.Submit<absl::StatusOr<Prep>>(
      [final_path, tmp_path, d, what]() -> absl::StatusOr<Prep> {
        Prep prep;
        Fd existing(open(final_path.c_str(), O_RDONLY | O_CLOEXEC));
        if (existing.valid()) {
          if (VerifyFile(existing.get(), d.digest, d.size, what).ok()) {
            prep.present = true;
            return prep;
          }
          LOG(WARNING) << "image store: " << final_path << " fails verification; fetching again";
          unlink(final_path.c_str());
        }
        prep.tmp = std::make_shared<Fd>(
            open(tmp_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!prep.tmp->valid()) {
          return ErrnoStatus(errno, absl::StrCat("create ", tmp_path));
        }
        return prep;
      },
      [this, alive = alive_, name, d, final_path, tmp_path,
       what](absl::StatusOr<Prep> prep) mutable {
        if (!*alive) {
          return;
        }
        if (!prep.ok()) {
          FinishBlob(d.digest, prep.status());
          return;
        }
        if (prep->present) {
          FinishBlob(d.digest, absl::OkStatus());
          return;
        }
        std::shared_ptr<Fd> tmp = prep->tmp;
        ++stats_.blobs_fetched;
        // Step 2: the source writes the blob.
        SourceFor(name)->Fetch(
            name, d, tmp->get(),
            [this, alive = alive_, d, tmp, final_path, tmp_path, what](absl::Status s) mutable {
              if (!*alive) {
                return;
              }
              // Step 3 (worker): verify, make durable, then make it visible.
              bool durable = options_.durable;
              pool_.Submit<absl::Status>(
                  [s, d, tmp, final_path, tmp_path, what, durable]() -> absl::Status {
                    absl::Status r = s;
                    if (r.ok()) {
                      r = VerifyFile(tmp->get(), d.digest, d.size, what);
                    }
                    if (r.ok() && durable && fsync(tmp->get()) != 0) {
                      r = ErrnoStatus(errno, absl::StrCat("fsync ", tmp_path));
                    }
                    if (r.ok() && rename(tmp_path.c_str(), final_path.c_str()) != 0) {
                      r = ErrnoStatus(errno, absl::StrCat("rename ", tmp_path));
                    }
                    if (!r.ok()) {
                      unlink(tmp_path.c_str());
                    }
                    tmp->Reset();
                    return r;
                  },
                  [this, alive = alive_, d](absl::Status r) {
                    if (*alive) {
                      if (r.code() == absl::StatusCode::kDataLoss) {
                        ++stats_.verify_failures;
                      }
                      FinishBlob(d.digest, r);
                    }
                  });
            });
      });
}

void ImageStore::FinishBlob(const Digest& d, absl::Status s) {
  auto it = blob_fetches_.find(d);
  CHECK(it != blob_fetches_.end());
  std::unique_ptr<BlobWaiters> w = std::move(it->second);
  blob_fetches_.erase(it);
  if (s.ok()) {
    verified_blobs_.insert(d);
  }
  for (auto& cb : w->waiters) {
    cb(s);
  }
}

void ImageStore::EnsureLayer(const ImageName& name, const Descriptor& d, StatusCb done) {
  if (removing_layers_.contains(d.digest)) {
    after_cleanup_.push_back([this, name, d, done = std::move(done)]() mutable {
      EnsureLayer(name, d, std::move(done));
    });
    return;
  }
  if (ready_layers_.contains(d.digest)) {
    loop_.Post([done = std::move(done)]() mutable { done(absl::OkStatus()); });
    return;
  }
  auto [it, inserted] = layer_unpacks_.try_emplace(d.digest, nullptr);
  if (!inserted) {
    it->second->waiters.push_back(std::move(done));
    return;
  }
  it->second = std::make_unique<LayerWaiters>();
  it->second->waiters.push_back(std::move(done));
  std::string what = absl::StrCat("layer ", d.digest.str(), " of ", name.ToString());
  EnsureBlob(name, d, [this, alive = alive_, d, what](absl::Status s) {
    if (!*alive) {
      return;
    }
    if (!s.ok()) {
      FinishLayer(d.digest, s);
      return;
    }
    std::string blob = BlobPath(d.digest);
    std::string tmp = absl::StrCat(root_, "/tmp/unpack-", d.digest.hex(), "-", next_tmp_++);
    std::string dest = LayerDir(d.digest);
    bool durable = options_.durable;
    pool_.Submit<absl::Status>(
        [blob, tmp, dest, what, durable, unpacker = unpacker_]() -> absl::Status {
          Fd blob_fd(open(blob.c_str(), O_RDONLY | O_CLOEXEC));
          if (!blob_fd.valid()) {
            return ErrnoStatus(errno, absl::StrCat("open ", blob));
          }
          if (mkdir(tmp.c_str(), 0755) != 0) {
            return ErrnoStatus(errno, absl::StrCat("create directory ", tmp));
          }
          absl::Status r;
          {
            Fd dir(open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!dir.valid()) {
              r = ErrnoStatus(errno, absl::StrCat("open ", tmp));
            } else {
              r = unpacker->Unpack(blob_fd.get(), dir.get(), nullptr);
              if (!r.ok()) {
                r = Prefixed(r, absl::StrCat("failed to unpack ", what, ": "));
              } else if (durable && syncfs(dir.get()) != 0) {
                r = ErrnoStatus(errno, absl::StrCat("sync ", tmp));
              }
            }
          }
          if (r.ok() && rename(tmp.c_str(), dest.c_str()) != 0) {
            if (errno == EEXIST || errno == ENOTEMPTY) {
              LOG(WARNING) << "image store: " << dest << " appeared meanwhile; keeping it";
            } else {
              r = ErrnoStatus(errno, absl::StrCat("rename ", tmp, " to ", dest));
            }
          }
          // A failed or redundant unpack leaves nothing behind.
          if (access(tmp.c_str(), F_OK) == 0) {
            absl::Status rm = RemoveTreeAt(AT_FDCWD, tmp);
            if (!rm.ok()) {
              LOG(WARNING) << "image store: " << rm;
            }
          }
          if (r.ok() || r.code() == absl::StatusCode::kInvalidArgument) {
            // The unpacked directory is what launches use; the compressed
            // blob goes (issue 6 may keep it for re-serving). A layer refused
            // for its content goes too: it would be refused again.
            unlink(blob.c_str());
          }
          return r;
        },
        [this, alive = alive_, d](absl::Status r) {
          if (!*alive) {
            return;
          }
          verified_blobs_.erase(d.digest);
          if (r.ok()) {
            ready_layers_.insert(d.digest);
            ++stats_.layers_unpacked;
          }
          FinishLayer(d.digest, r);
        });
  });
}

void ImageStore::FinishLayer(const Digest& d, absl::Status s) {
  auto it = layer_unpacks_.find(d);
  CHECK(it != layer_unpacks_.end());
  std::unique_ptr<LayerWaiters> w = std::move(it->second);
  layer_unpacks_.erase(it);
  for (auto& cb : w->waiters) {
    cb(s);
  }
}

ImageStore::Lease& ImageStore::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    Release();
    store_ = o.store_;
    image_id_ = std::move(o.image_id_);
    o.store_ = nullptr;
  }
  return *this;
}

void ImageStore::Lease::Release() {
  if (store_ != nullptr) {
    store_->Release(image_id_);
    store_ = nullptr;
  }
}

ImageStore::Lease ImageStore::Acquire(const Image& image) {
  ++uses_[image.image_id];
  return Lease(this, image.image_id);
}

void ImageStore::Release(const std::string& image_id) {
  auto it = uses_.find(image_id);
  CHECK(it != uses_.end());
  if (--it->second == 0) {
    uses_.erase(it);
  }
}

int ImageStore::UseCount(std::string_view image_id) const {
  auto it = uses_.find(std::string(image_id));
  return it == uses_.end() ? 0 : it->second;
}

}  // namespace berth::images
