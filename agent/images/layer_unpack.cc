#include "agent/images/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/images/fs_util.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::images {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

absl::Status Refuse(std::string_view entry, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("refused layer entry \"", Absl(entry), "\": ", Absl(why)));
}

// Wraps an errno failure on one entry.
absl::Status EntryErrno(int err, std::string_view verb, std::string_view entry) {
  return ErrnoStatus(err, absl::StrCat(Absl(verb), " layer entry \"", Absl(entry), "\""));
}

// Splits a tar name into clean components; refuses absolute names and "..".
absl::StatusOr<std::vector<std::string>> CleanPath(std::string_view raw) {
  if (!raw.empty() && raw[0] == '/') {
    return Refuse(raw, "absolute path");
  }
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t end = raw.find('/', i);
    if (end == std::string_view::npos) {
      end = raw.size();
    }
    std::string_view c = raw.substr(i, end - i);
    if (c == "..") {
      return Refuse(raw, "path contains '..'");
    }
    if (!c.empty() && c != ".") {
      parts.emplace_back(c);
    }
    i = end + 1;
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) {
      out.push_back('/');
    }
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

bool IsRoot() { return geteuid() == 0; }

class Unpacker {
 public:
  Unpacker(int root, UnpackStats* stats) : root_(root), stats_(stats) {}

  absl::Status Run(int blob_fd) {
    if (lseek(blob_fd, 0, SEEK_SET) < 0) {
      return ErrnoStatus(errno, "seek layer blob");
    }
    std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
    CHECK(a != nullptr);
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_fd(a.get(), blob_fd, 1 << 16) != ARCHIVE_OK) {
      return ArchiveError(a.get(), "open layer");
    }
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r < ARCHIVE_WARN) {
        return ArchiveError(a.get(), "read layer");
      }
      ++stats_->entries;
      RETURN_IF_ERROR(Entry(a.get(), e));
    }
    return FinishDirs();
  }

 private:
  struct PendingDir {
    std::string path;
    mode_t mode;
    struct timespec mtime;
  };

  static absl::Status ArchiveError(archive* a, std::string_view what) {
    const char* msg = archive_error_string(a);
    return absl::InvalidArgumentError(
        absl::StrCat("failed to ", Absl(what), ": ", msg != nullptr ? msg : "unknown error"));
  }

  // Opens (creating missing directories 0755) the directory `parts[0..n)`.
  absl::StatusOr<Fd> OpenDir(const std::vector<std::string>& parts, size_t n,
                             std::string_view entry) {
    absl::StatusOr<Fd> fd = OpenBeneath(root_, Join(parts, n), O_RDONLY | O_DIRECTORY);
    if (fd.ok()) {
      return fd;
    }
    int err = ErrnoOf(fd.status());
    if (err == EXDEV) {
      return Refuse(entry, "its path leads outside the layer through a symlink");
    }
    if (err != ENOENT) {
      return EntryErrno(err, "open the directory of", entry);
    }
    // Create what is missing, one component at a time, each step resolved
    // from the layer root again.
    Fd cur;
    ASSIGN_OR_RETURN(cur, OpenBeneath(root_, ".", O_RDONLY | O_DIRECTORY));
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<Fd> next = OpenBeneath(root_, Join(parts, i + 1), O_RDONLY | O_DIRECTORY);
      if (!next.ok() && ErrnoOf(next.status()) == ENOENT) {
        // Directories the tar does not list get 0755 like containerd's.
        if (mkdirat(cur.get(), parts[i].c_str(), 0755) == 0) {
          fchmodat(cur.get(), parts[i].c_str(), 0755, 0);  // whatever the umask
        } else if (errno != EEXIST) {
          return EntryErrno(errno, "create a directory for", entry);
        }
        next = OpenBeneath(cur.get(), parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      }
      if (!next.ok()) {
        if (ErrnoOf(next.status()) == EXDEV) {
          return Refuse(entry, "its path leads outside the layer through a symlink");
        }
        return EntryErrno(ErrnoOf(next.status()), "open the directory of", entry);
      }
      cur = *std::move(next);
    }
    return cur;
  }

  // Clears the way for a new entry `leaf` in `dir`: an existing directory
  // stays when the new entry is a directory too; anything else goes.
  absl::Status MakeRoom(int dir, const std::string& leaf, bool new_is_dir,
                        std::string_view entry) {
    struct stat st;
    if (fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        return absl::OkStatus();
      }
      return EntryErrno(errno, "inspect", entry);
    }
    if (new_is_dir && S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
    return RemoveTreeAt(dir, leaf);
  }

  absl::Status Entry(archive* a, archive_entry* e) {
    const char* raw_name = archive_entry_pathname(e);
    if (raw_name == nullptr) {
      raw_name = archive_entry_pathname_utf8(e);
    }
    if (raw_name == nullptr || raw_name[0] == '\0') {
      // Never read an unreadable name as "" (the layer root).
      return Refuse("", "an entry has no readable name");
    }
    std::string name = raw_name;
    ASSIGN_OR_RETURN(std::vector<std::string> parts, CleanPath(name));
    mode_t type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);

    if (parts.empty()) {  // "./": the layer root itself
      if (type != AE_IFDIR) {
        return Refuse(name, "the layer root must be a directory");
      }
      ASSIGN_OR_RETURN(Fd fd, OpenBeneath(root_, ".", O_RDONLY | O_DIRECTORY));
      RETURN_IF_ERROR(Owner(fd.get(), "", e, name));
      RETURN_IF_ERROR(Xattrs(fd.get(), "", e, name));
      pending_dirs_.push_back({".", static_cast<mode_t>(archive_entry_perm(e)), Mtime(e)});
      return absl::OkStatus();
    }

    std::string leaf = parts.back();
    absl::StatusOr<Fd> parent_or = OpenDir(parts, parts.size() - 1, name);
    bool whiteout = std::string_view(leaf).substr(0, kWhiteoutPrefix.size()) == kWhiteoutPrefix;
    if (whiteout && ErrnoOf(parent_or.status()) == ENOTDIR) {
      // A whiteout under a directory this layer has replaced by a file
      // (umoci writes "d" then "d/.wh.x"): the file hides it all already.
      return absl::OkStatus();
    }
    if (!parent_or.ok()) {
      return parent_or.status();
    }
    Fd parent = *std::move(parent_or);

    // Whiteouts.
    if (whiteout) {
      if (leaf == kOpaqueMarker) {
        ++stats_->opaque_dirs;
        if (fsetxattr(parent.get(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
          return EntryErrno(errno, "mark opaque the directory of", name);
        }
        return absl::OkStatus();
      }
      if (std::string_view(leaf).substr(0, kWhiteoutMetaPrefix.size()) == kWhiteoutMetaPrefix) {
        return absl::OkStatus();  // aufs bookkeeping (.wh..wh.plnk, ...)
      }
      std::string target = leaf.substr(kWhiteoutPrefix.size());
      if (target.empty() || target == "." || target == "..") {
        return Refuse(name, "whiteout of an invalid name");
      }
      ++stats_->whiteouts;
      RETURN_IF_ERROR(MakeRoom(parent.get(), target, false, name));
      if (mknodat(parent.get(), target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        return EntryErrno(errno, "create the whiteout for", name);
      }
      if (IsRoot() && fchownat(parent.get(), target.c_str(), 0, 0, AT_SYMLINK_NOFOLLOW) != 0) {
        return EntryErrno(errno, "chown the whiteout for", name);
      }
      return absl::OkStatus();
    }

    if (hardlink != nullptr) {
      return HardLink(parent.get(), leaf, hardlink, name);
    }

    switch (type) {
      case AE_IFDIR: {
        RETURN_IF_ERROR(MakeRoom(parent.get(), leaf, true, name));
        if (mkdirat(parent.get(), leaf.c_str(), 0700) != 0 && errno != EEXIST) {
          return EntryErrno(errno, "create directory", name);
        }
        absl::StatusOr<Fd> dir =
            OpenBeneath(parent.get(), leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!dir.ok()) {
          return EntryErrno(ErrnoOf(dir.status()), "open directory", name);
        }
        RETURN_IF_ERROR(Owner(dir->get(), "", e, name));
        RETURN_IF_ERROR(Xattrs(dir->get(), "", e, name));
        pending_dirs_.push_back(
            {Join(parts, parts.size()), static_cast<mode_t>(archive_entry_perm(e)), Mtime(e)});
        return absl::OkStatus();
      }
      case AE_IFREG:
        return RegularFile(a, e, parent.get(), leaf, name);
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (target == nullptr) {
          return Refuse(name, "symlink without a target");
        }
        RETURN_IF_ERROR(MakeRoom(parent.get(), leaf, false, name));
        if (symlinkat(target, parent.get(), leaf.c_str()) != 0) {
          return EntryErrno(errno, "create symlink", name);
        }
        RETURN_IF_ERROR(OwnerAt(parent.get(), leaf, e, name));
        RETURN_IF_ERROR(XattrsAt(parent.get(), leaf, e, name));
        return TimesAt(parent.get(), leaf, e, name);
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        RETURN_IF_ERROR(MakeRoom(parent.get(), leaf, false, name));
        dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
        if (mknodat(parent.get(), leaf.c_str(), type | 0600, dev) != 0) {
          return EntryErrno(errno, "create device node", name);
        }
        RETURN_IF_ERROR(OwnerAt(parent.get(), leaf, e, name));
        if (fchmodat(parent.get(), leaf.c_str(), archive_entry_perm(e), 0) != 0) {
          return EntryErrno(errno, "chmod", name);
        }
        RETURN_IF_ERROR(XattrsAt(parent.get(), leaf, e, name));
        return TimesAt(parent.get(), leaf, e, name);
      }
      case AE_IFSOCK:
        return absl::OkStatus();  // sockets are not content
      default:
        return Refuse(name, absl::StrCat("unknown file type ", type));
    }
  }

  absl::Status RegularFile(archive* a, archive_entry* e, int parent, const std::string& leaf,
                           std::string_view name) {
    RETURN_IF_ERROR(MakeRoom(parent, leaf, false, name));
    Fd fd(openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 0600));
    if (!fd.valid()) {
      return EntryErrno(errno, "create file", name);
    }
    for (;;) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(a, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r < ARCHIVE_WARN) {
        return ArchiveError(a, absl::StrCat("read the data of layer entry \"", Absl(name), "\""));
      }
      const char* p = static_cast<const char*>(buf);
      while (size > 0) {
        ssize_t n = pwrite(fd.get(), p, size, offset);
        if (n < 0) {
          if (errno == EINTR) {
            continue;
          }
          return EntryErrno(errno, "write", name);
        }
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
        stats_->bytes += static_cast<uint64_t>(n);
      }
    }
    if (archive_entry_size_is_set(e) && ftruncate(fd.get(), archive_entry_size(e)) != 0) {
      return EntryErrno(errno, "size", name);
    }
    RETURN_IF_ERROR(Owner(fd.get(), "", e, name));
    RETURN_IF_ERROR(Xattrs(fd.get(), "", e, name));
    // After chown, which clears setuid/setgid.
    if (fchmod(fd.get(), archive_entry_perm(e)) != 0) {
      return EntryErrno(errno, "chmod", name);
    }
    struct timespec times[2] = {Mtime(e), Mtime(e)};
    if (futimens(fd.get(), times) != 0) {
      return EntryErrno(errno, "set the times of", name);
    }
    return absl::OkStatus();
  }

  absl::Status HardLink(int parent, const std::string& leaf, std::string_view target_raw,
                        std::string_view name) {
    absl::StatusOr<std::vector<std::string>> target = CleanPath(target_raw);
    if (!target.ok()) {
      return Refuse(name, absl::StrCat("hard link target \"", Absl(target_raw), "\": ",
                                       target.status().message()));
    }
    if (target->empty()) {
      return Refuse(name, "hard link to the layer root");
    }
    absl::StatusOr<Fd> tdir =
        OpenBeneath(root_, Join(*target, target->size() - 1), O_PATH | O_DIRECTORY);
    if (!tdir.ok()) {
      if (ErrnoOf(tdir.status()) == EXDEV) {
        return Refuse(name, "hard link target leads outside the layer through a symlink");
      }
      return EntryErrno(ErrnoOf(tdir.status()), "find the hard link target of", name);
    }
    const std::string& tleaf = target->back();
    struct stat st;
    if (fstatat(tdir->get(), tleaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return EntryErrno(errno, "find the hard link target of", name);
    }
    if (S_ISDIR(st.st_mode)) {
      return Refuse(name, "hard link to a directory");
    }
    RETURN_IF_ERROR(MakeRoom(parent, leaf, false, name));
    if (linkat(tdir->get(), tleaf.c_str(), parent, leaf.c_str(), 0) != 0) {
      return EntryErrno(errno, "create hard link", name);
    }
    return absl::OkStatus();
  }

  static struct timespec Mtime(archive_entry* e) {
    struct timespec t = {};
    if (archive_entry_mtime_is_set(e)) {
      t.tv_sec = archive_entry_mtime(e);
      t.tv_nsec = archive_entry_mtime_nsec(e);
    } else {
      t.tv_nsec = UTIME_OMIT;
    }
    return t;
  }

  absl::Status Owner(int fd, std::string_view, archive_entry* e, std::string_view name) {
    if (!IsRoot()) {
      return absl::OkStatus();
    }
    if (fchown(fd, static_cast<uid_t>(archive_entry_uid(e)),
               static_cast<gid_t>(archive_entry_gid(e))) != 0) {
      return EntryErrno(errno, "chown", name);
    }
    return absl::OkStatus();
  }

  absl::Status OwnerAt(int dir, const std::string& leaf, archive_entry* e, std::string_view name) {
    if (!IsRoot()) {
      return absl::OkStatus();
    }
    if (fchownat(dir, leaf.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                 static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0) {
      return EntryErrno(errno, "chown", name);
    }
    return absl::OkStatus();
  }

  absl::Status TimesAt(int dir, const std::string& leaf, archive_entry* e, std::string_view name) {
    struct timespec times[2] = {Mtime(e), Mtime(e)};
    if (utimensat(dir, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return EntryErrno(errno, "set the times of", name);
    }
    return absl::OkStatus();
  }

  static bool OverlayXattr(std::string_view key) {
    return key.substr(0, 16) == "trusted.overlay." || key.substr(0, 13) == "user.overlay.";
  }

  // Sets the entry's xattrs on `fd`, or (fd < 0) on `dir`/`leaf` without
  // following a symlink.
  absl::Status SetXattrs(int fd, int dir, const std::string& leaf, archive_entry* e,
                         std::string_view name) {
    if (archive_entry_xattr_reset(e) == 0) {
      return absl::OkStatus();
    }
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
      if (OverlayXattr(key)) {
        ++stats_->dropped_xattrs;
        continue;
      }
      int r;
      if (fd >= 0) {
        r = fsetxattr(fd, key, value, size, 0);
      } else {
        // lsetxattr through the parent's /proc/self/fd entry: the last
        // component (a symlink or device) is not followed.
        std::string path = absl::StrCat("/proc/self/fd/", dir, "/", leaf);
        r = lsetxattr(path.c_str(), key, value, size, 0);
      }
      if (r != 0) {
        if (errno == ENOTSUP || errno == EOPNOTSUPP || (errno == EPERM && (!IsRoot() || fd < 0))) {
          // This filesystem or user cannot hold it (user.* on a symlink is
          // EPERM even for root).
          ++stats_->dropped_xattrs;
          continue;
        }
        return EntryErrno(errno, absl::StrCat("set xattr ", key, " on"), name);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Xattrs(int fd, std::string_view, archive_entry* e, std::string_view name) {
    return SetXattrs(fd, -1, "", e, name);
  }
  absl::Status XattrsAt(int dir, const std::string& leaf, archive_entry* e,
                        std::string_view name) {
    return SetXattrs(-1, dir, leaf, e, name);
  }

  // Directory modes and mtimes, deepest first, once every entry is in.
  absl::Status FinishDirs() {
    for (auto it = pending_dirs_.rbegin(); it != pending_dirs_.rend(); ++it) {
      absl::StatusOr<Fd> fd = OpenBeneath(root_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!fd.ok()) {
        int err = ErrnoOf(fd.status());
        if (err == ENOENT || err == ENOTDIR || err == ELOOP) {
          continue;  // replaced or removed by a later entry
        }
        return EntryErrno(err, "open directory", it->path);
      }
      if (fchmod(fd->get(), it->mode) != 0) {
        return EntryErrno(errno, "chmod", it->path);
      }
      struct timespec times[2] = {it->mtime, it->mtime};
      if (futimens(fd->get(), times) != 0) {
        return EntryErrno(errno, "set the times of", it->path);
      }
    }
    return absl::OkStatus();
  }

  int root_;
  UnpackStats* stats_;
  std::vector<PendingDir> pending_dirs_;
};

}  // namespace

absl::Status UnpackLayer(int blob_fd, int dest_dirfd, UnpackStats* stats) {
  UnpackStats local;
  Unpacker u(dest_dirfd, stats != nullptr ? stats : &local);
  return u.Run(blob_fd);
}

}  // namespace berth::images
