#include "agent/images/oci_layout_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "agent/images/fs_util.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::images {

namespace {

constexpr size_t kMaxDocument = 4 << 20;  // index.json, manifests, indexes
constexpr int kMaxIndexDepth = 2;

std::string BlobPath(const ImageName& name, const Digest& d) {
  return absl::StrCat(name.layout_path, "/blobs/sha256/", d.hex());
}

std::string Token(const struct stat& st) {
  return absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec, ":", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec);
}

absl::Status InLayout(const ImageName& name, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("image ", name.ToString(), ": ", s.message()));
}

// Reads and verifies a small blob (manifest or index) of the layout.
absl::StatusOr<std::string> ReadDocument(const ImageName& name, const Descriptor& d) {
  if (d.size > static_cast<int64_t>(kMaxDocument)) {
    return absl::OutOfRangeError(absl::StrCat("image ", name.ToString(), ": ", d.media_type, " ",
                                              d.digest.str(), " is larger than ", kMaxDocument,
                                              " bytes"));
  }
  absl::StatusOr<std::string> bytes = ReadFileAt(AT_FDCWD, BlobPath(name, d.digest), kMaxDocument);
  if (!bytes.ok()) {
    return InLayout(name, bytes.status());
  }
  RETURN_IF_ERROR(VerifyBytes(*bytes, d.digest, d.size, absl::StrCat("blob ", d.digest.str())));
  return bytes;
}

absl::StatusOr<Descriptor> FindTag(const ImageName& name, const Index& index) {
  if (name.tag.empty()) {
    if (index.manifests.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image ", name.ToString(), ": no tag given and the layout holds ",
          index.manifests.size(), " manifests (name one as oci:<path>:<tag>)"));
    }
    return index.manifests[0];
  }
  for (const Descriptor& d : index.manifests) {
    auto it = d.annotations.find(std::string(kRefNameAnnotation));
    if (it != d.annotations.end() && it->second == name.tag) {
      return d;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("image ", name.ToString(), ": tag \"", name.tag, "\" not found in ",
                   name.layout_path, "/index.json"));
}

}  // namespace

absl::StatusOr<ResolvedManifest> ResolveOciLayout(const ImageName& name, std::string_view arch,
                                                  std::string_view variant, absl::Time now) {
  absl::StatusOr<std::string> layout =
      ReadFileAt(AT_FDCWD, absl::StrCat(name.layout_path, "/oci-layout"), kMaxDocument);
  if (!layout.ok()) {
    return InLayout(name, layout.status());
  }
  if (absl::Status s = ParseOciLayoutFile(*layout); !s.ok()) {
    return InLayout(name, s);
  }
  // The token is taken before the read: a change after it makes the next
  // CurrentToken differ, so a stale answer is never kept.
  std::string index_path = absl::StrCat(name.layout_path, "/index.json");
  Fd index_fd(open(index_path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!index_fd.valid() || fstat(index_fd.get(), &st) != 0) {
    return InLayout(name, ErrnoStatus(errno, absl::StrCat("open ", index_path)));
  }
  std::string token;
  absl::Time changed = std::max(absl::TimeFromTimespec(st.st_mtim), absl::TimeFromTimespec(st.st_ctim));
  if (now - changed >= kRacyWindow) {
    token = Token(st);
  }
  absl::StatusOr<std::string> index_json = ReadFd(index_fd.get(), kMaxDocument, index_path);
  if (!index_json.ok()) {
    return InLayout(name, index_json.status());
  }
  absl::StatusOr<Index> index = ParseIndex(*index_json);
  if (!index.ok()) {
    return InLayout(name, index.status());
  }
  ASSIGN_OR_RETURN(Descriptor d, FindTag(name, *index));
  for (int depth = 0; IsIndexMediaType(d.media_type); ++depth) {
    if (depth >= kMaxIndexDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("image ", name.ToString(), ": image indexes nested too deep"));
    }
    ASSIGN_OR_RETURN(std::string bytes, ReadDocument(name, d));
    absl::StatusOr<Index> nested = ParseIndex(bytes);
    if (!nested.ok()) {
      return InLayout(name, nested.status());
    }
    absl::StatusOr<Descriptor> pick = SelectPlatform(*nested, arch, variant);
    if (!pick.ok()) {
      return InLayout(name, pick.status());
    }
    d = *std::move(pick);
  }
  if (!IsManifestMediaType(d.media_type)) {
    return absl::InvalidArgumentError(absl::StrCat("image ", name.ToString(),
                                                   ": unsupported manifest media type \"",
                                                   d.media_type, "\""));
  }
  ResolvedManifest out;
  ASSIGN_OR_RETURN(out.bytes, ReadDocument(name, d));
  absl::StatusOr<Manifest> m = ParseManifest(out.bytes);
  if (!m.ok()) {
    return InLayout(name, m.status());
  }
  out.digest = d.digest;
  out.manifest = *std::move(m);
  out.token = std::move(token);
  return out;
}

absl::Status CopyOciLayoutBlob(const ImageName& name, const Descriptor& blob, int out_fd) {
  std::string path = BlobPath(name, blob.digest);
  Fd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  // copy_file_range stays in the kernel (and may share extents); fall back
  // to read/write where the filesystems cannot.
  for (;;) {
    ssize_t n = copy_file_range(in.get(), nullptr, out_fd, nullptr, 1 << 30, 0);
    if (n == 0) {
      return absl::OkStatus();
    }
    if (n > 0) {
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return ErrnoStatus(errno, absl::StrCat("copy ", path));
    }
    break;
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(in.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) {
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(WriteAll(out_fd, std::string_view(buf, static_cast<size_t>(n)), "blob copy"));
  }
}

OciLayoutSource::OciLayoutSource(io::WorkerPool& pool, const io::TimeSource& clock)
    : pool_(pool), clock_(clock), arch_(HostArchitecture()) {}

void OciLayoutSource::Resolve(const ImageName& name,
                              absl::AnyInvocable<void(absl::StatusOr<ResolvedManifest>)> done) {
  pool_.Submit<absl::StatusOr<ResolvedManifest>>(
      [name, arch = arch_, variant = variant_, now = clock_.Now()] {
        return ResolveOciLayout(name, arch, variant, now);
      },
      std::move(done));
}

std::string OciLayoutSource::CurrentToken(const ImageName& name) {
  struct stat st;
  if (stat(absl::StrCat(name.layout_path, "/index.json").c_str(), &st) != 0) {
    return "";
  }
  return Token(st);
}

void OciLayoutSource::Fetch(const ImageName& name, const Descriptor& blob, int out_fd,
                            absl::AnyInvocable<void(absl::Status)> done) {
  pool_.Submit<absl::Status>([name, blob, out_fd] { return CopyOciLayoutBlob(name, blob, out_fd); },
                             std::move(done));
}

}  // namespace berth::images
