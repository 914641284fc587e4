#include "agent/driver/spare_dirs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::agent {
namespace {

constexpr std::string_view kMakingSuffix = ".tmp";

// Makes one skeleton as <dir>/<n>.tmp and renames it to <dir>/<n>. Returns
// "" or what failed (the half-made one is removed).
std::string MakeOne(const std::string& dir, uint64_t n, const std::vector<SpareEntry>& layout) {
  const std::string making = absl::StrCat(dir, "/", n, Absl(kMakingSuffix));
  const std::string ready = absl::StrCat(dir, "/", n);
  auto fail = [&](std::string_view what, const std::string& path, int err) {
    std::string error(ErrnoStatus(err, absl::StrCat(Absl(what), " ", path)).message());
    std::error_code ec;
    std::filesystem::remove_all(making, ec);
    return error;
  };
  if (mkdir(making.c_str(), 0755) != 0) {
    return fail("create", making, errno);
  }
  for (const SpareEntry& e : layout) {
    const std::string path = absl::StrCat(making, "/", e.path);
    if (e.directory) {
      if (mkdir(path.c_str(), 0755) != 0) return fail("create", path, errno);
    } else {
      int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return fail("create", path, errno);
      close(fd);
    }
  }
  if (rename(making.c_str(), ready.c_str()) != 0) {
    return fail("rename", making, errno);
  }
  return "";
}

}  // namespace

SpareDirs::Scan SpareDirs::ScanDir(const std::string& dir) {
  Scan scan;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    scan.error = absl::StrCat("failed to create ", dir, ": ", ec.message());
    return scan;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t n = 0;
    if (absl::SimpleAtoi(name, &n) && absl::StrCat(n) == name && entry.is_directory(ec)) {
      scan.ready.push_back(name);
      scan.next = std::max(scan.next, n + 1);
      continue;
    }
    // Half-made (a crash while making it) or not ours: nothing to reuse.
    std::error_code rm;
    std::filesystem::remove_all(entry.path(), rm);
    if (rm) {
      LOG(WARNING) << "failed to remove " << entry.path().string() << ": " << rm.message();
    }
  }
  if (ec) {
    scan.error = absl::StrCat("failed to list ", dir, ": ", ec.message());
  }
  return scan;
}

SpareDirs::SpareDirs(io::WorkerPool& pool, std::string dir, std::vector<SpareEntry> layout,
                     size_t target)
    : pool_(pool),
      dir_(std::move(dir)),
      layout_(std::move(layout)),
      target_(target),
      self_(std::make_shared<SpareDirs*>(this)) {}

SpareDirs::~SpareDirs() { *self_ = nullptr; }

void SpareDirs::Start() {
  if (target_ == 0) return;
  ++making_;
  pool_.Submit<Scan>([dir = dir_] { return ScanDir(dir); },
                     [self = self_](Scan scan) {
                       SpareDirs* me = *self;
                       if (me == nullptr) return;
                       me->Started(std::move(scan));
                     });
}

void SpareDirs::Started(Scan scan) {
  --making_;
  started_ = true;
  if (!scan.error.empty()) {
    LOG(WARNING) << "no container directories are made ahead: " << scan.error;
    MaybeIdle();
    return;
  }
  ready_ = std::move(scan.ready);
  next_ = scan.next;
  Refill();
  MaybeIdle();
}

absl::StatusOr<bool> SpareDirs::Take(const std::string& dest) {
  while (!ready_.empty()) {
    const std::string name = std::move(ready_.back());
    ready_.pop_back();
    const std::string from = absl::StrCat(dir_, "/", name);
    if (rename(from.c_str(), dest.c_str()) == 0) {
      Refill();
      return true;
    }
    const int err = errno;
    if (err == ENOTEMPTY || err == EEXIST) {
      ready_.push_back(name);  // still ready; the destination is in the way
      return false;
    }
    if (err != ENOENT || access(from.c_str(), F_OK) == 0) {
      ready_.push_back(name);  // still ready: the destination's parent is missing
      Refill();
      return ErrnoStatus(err, absl::StrCat("rename ", from, " to ", dest));
    }
    // Someone removed it behind our back: try the next one.
  }
  Refill();
  return false;
}

void SpareDirs::Refill() {
  if (!started_) return;
  while (ready_.size() + making_ < target_) {
    ++making_;
    const uint64_t n = next_++;
    pool_.Submit<std::string>([dir = dir_, n, layout = layout_] { return MakeOne(dir, n, layout); },
                              [self = self_, n](std::string error) {
                                SpareDirs* me = *self;
                                if (me != nullptr) me->Made(n, std::move(error));
                              });
    if (failing_logged_) break;  // one attempt per Take while it fails
  }
}

void SpareDirs::Made(uint64_t n, std::string error) {
  --making_;
  if (error.empty()) {
    ready_.push_back(absl::StrCat(n));
    failing_logged_ = false;
  } else if (!failing_logged_) {
    failing_logged_ = true;
    LOG(WARNING) << "failed to make a container directory ahead "
                    "(launches make their own): "
                 << error;
  }
  MaybeIdle();
}

void SpareDirs::WhenIdle(absl::AnyInvocable<void()> done) {
  idle_waiters_.push_back(std::move(done));
  MaybeIdle();
}

void SpareDirs::MaybeIdle() {
  if (making_ != 0 || (target_ != 0 && !started_)) return;
  auto waiters = std::move(idle_waiters_);
  idle_waiters_.clear();
  for (auto& w : waiters) w();
}

}  // namespace berth::agent
