#include "cgroups/mountinfo.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {

// Decodes the kernel's \ooo escapes (space, tab, newline, backslash).
bool Unescape(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      *out += in[i];
      continue;
    }
    if (in.size() - i < 4) {
      return false;
    }
    int v = 0;
    for (size_t j = 1; j <= 3; ++j) {
      char c = in[i + j];
      if (c < '0' || c > '7') {
        return false;
      }
      v = v * 8 + (c - '0');
    }
    if (v > 255) {
      return false;
    }
    *out += static_cast<char>(v);
    i += 3;
  }
  return true;
}

// Whether `path` is `dir` or lies below it.
bool Under(std::string_view path, std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') {
    dir.remove_suffix(1);
  }
  if (path.substr(0, dir.size()) != dir) {
    return false;
  }
  return path.size() == dir.size() || dir == "/" || path[dir.size()] == '/';
}

bool SamePath(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.back() == '/') {
    a.remove_suffix(1);
  }
  while (b.size() > 1 && b.back() == '/') {
    b.remove_suffix(1);
  }
  return a == b;
}

}  // namespace

absl::StatusOr<std::vector<MountInfo>> ParseMountInfo(std::string_view text) {
  std::vector<MountInfo> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    ++line_no;
    if (line.empty()) {
      continue;
    }
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "failed to parse mountinfo: line ", line_no, " '", line, "': ", Absl(why)));
    };
    // id parent maj:min root mount-point options [optional...] - type source super
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") {
      ++dash;
    }
    if (f.size() < 6 || dash >= f.size() || f.size() < dash + 3) {
      return bad("want 'ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS ... - TYPE SOURCE OPTIONS'");
    }
    MountInfo m;
    if (!Unescape(f[3], &m.root) || !Unescape(f[4], &m.mount_point)) {
      return bad("bad escape in the root or mount point");
    }
    if (m.mount_point.empty() || m.mount_point[0] != '/') {
      return bad("the mount point is not absolute");
    }
    if (!Unescape(f[dash + 1], &m.fs_type) || !Unescape(f[dash + 2], &m.source)) {
      return bad("bad escape in the type or source");
    }
    if (f.size() > dash + 3 && !Unescape(f[dash + 3], &m.super_options)) {
      return bad("bad escape in the super options");
    }
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<std::string> FindCgroup2Mount(std::string_view mountinfo,
                                             std::optional<std::string_view> ecs_cgroup_path) {
  ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ParseMountInfo(mountinfo));
  // Walk from the last mount back: a later mount on a point hides earlier ones.
  auto hidden = [&](size_t i) {
    for (size_t j = i + 1; j < mounts.size(); ++j) {
      if (SamePath(mounts[j].mount_point, mounts[i].mount_point) ||
          (Under(mounts[i].mount_point, mounts[j].mount_point) &&
           !SamePath(mounts[i].mount_point, mounts[j].mount_point))) {
        return true;
      }
    }
    return false;
  };
  std::vector<const MountInfo*> v2;
  for (size_t i = 0; i < mounts.size(); ++i) {
    if (mounts[i].fs_type == "cgroup2" && !hidden(i)) {
      v2.push_back(&mounts[i]);
    }
  }
  if (ecs_cgroup_path && !ecs_cgroup_path->empty()) {
    for (const MountInfo* m : v2) {
      if (SamePath(m->mount_point, *ecs_cgroup_path)) {
        return m->mount_point;
      }
    }
    for (const MountInfo* m : v2) {
      if (Under(m->mount_point, *ecs_cgroup_path)) {
        return m->mount_point;
      }
    }
  }
  if (!v2.empty()) {
    return v2.front()->mount_point;
  }
  return absl::NotFoundError(absl::StrCat(
      "failed to find the cgroup v2 hierarchy: no cgroup2 mount in mountinfo",
      ecs_cgroup_path ? absl::StrCat(" (ECS_CGROUP_PATH=", Absl(*ecs_cgroup_path), ")") : "",
      "; berth needs cgroup v2 (unified or hybrid mode)"));
}

absl::StatusOr<std::string> FindCgroup2MountOfHost(
    std::optional<std::string_view> ecs_cgroup_path) {
  constexpr char kPath[] = "/proc/self/mountinfo";
  int fd = open(kPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", kPath));
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(err, absl::StrCat("read ", kPath));
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return FindCgroup2Mount(text, ecs_cgroup_path);
}

}  // namespace berth::cgroups
