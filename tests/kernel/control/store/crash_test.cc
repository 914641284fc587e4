// kill -9 at a random moment loses nothing that was acknowledged: a child
// process commits batches as fast as it can on a real io_uring loop and
// reports each batch whose `done` said OK on a pipe; the parent SIGKILLs it
// mid-stream, reopens the store and checks every reported batch is there
// exactly once, every batch is all-or-nothing, the commits form a prefix of
// the submission order, and SQLite's integrity_check passes.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/store/sqlite_store.h"
#include "gtest/gtest.h"
#include "io/absl_compat.h"
#include "io/fake_loop.h"
#include "io/uring_loop.h"
#include "tests/unit/control/store/store_test_util.h"

namespace berth::control {
namespace {

using testing::RawDb;
using testing::TempDir;

constexpr int kInFlight = 64;

bool WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// The child: never returns. Batch `id` puts tasks/<random 32 hex> = id
// (a fresh key each time, so a batch applied twice would show as two rows),
// attributes/a-<id> = id (so a half-applied batch shows), and overwrites
// clusters/last = id.
[[noreturn]] void CommitForever(const std::string& data_dir, uint64_t first_id, int report_fd,
                                uint64_t seed) {
  auto loop = io::UringLoop::Create();
  if (!loop.ok()) {
    _exit(20);
  }
  SqliteStoreOptions options;
  options.data_dir = data_dir;
  auto store = OpenSqliteStore(**loop, options);
  if (!store.ok()) {
    fprintf(stderr, "child: %s\n", std::string(store.status().message()).c_str());
    _exit(21);
  }
  std::mt19937_64 rng(seed);
  uint64_t next = first_id;
  std::function<void()> submit = [&] {
    const uint64_t id = next++;
    const std::string value = absl::StrCat(id);
    char key[33];
    snprintf(key, sizeof(key), "%016llx%016llx", static_cast<unsigned long long>(rng()),
             static_cast<unsigned long long>(rng()));
    (*store)->Commit({Mutation::Put("tasks", key, value),
                      Mutation::Put("attributes", absl::StrCat("a-", id), value),
                      Mutation::Put("clusters", "last", value)},
                     [&, id](absl::Status s) {
                       if (!s.ok()) {
                         _exit(22);
                       }
                       if (!WriteAll(report_fd, &id, sizeof(id))) {
                         _exit(23);
                       }
                       submit();
                     });
  };
  for (int i = 0; i < kInFlight; ++i) {
    submit();
  }
  (void)(*loop)->Run();
  _exit(24);
}

struct Round {
  std::vector<uint64_t> reported;
  int child_status = 0;
};

// Runs one child from `first_id`, kills it once it has reported `min_acks`
// batches plus a random extra delay, and collects every reported id.
Round CrashRound(const std::string& data_dir, uint64_t first_id, uint64_t seed, int min_acks,
                 int extra_delay_ms) {
  Round round;
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    CommitForever(data_dir, first_id, fds[1], seed);
  }
  close(fds[1]);
  EXPECT_GT(pid, 0);
  std::string buf;
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      return false;
    }
    char chunk[4096];
    const ssize_t n = read(fds[0], chunk, sizeof(chunk));
    if (n <= 0) {
      return false;
    }
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  };
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (buf.size() / sizeof(uint64_t) < static_cast<size_t>(min_acks) &&
         std::chrono::steady_clock::now() < give_up) {
    if (!read_some(100)) {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {  // the child died on its own
        ADD_FAILURE() << "the committing child exited early with status " << status;
        close(fds[0]);
        return round;
      }
    }
  }
  const auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(extra_delay_ms);
  while (std::chrono::steady_clock::now() < kill_at) {
    read_some(1);
  }
  kill(pid, SIGKILL);
  while (read_some(1000)) {
  }
  close(fds[0]);
  EXPECT_EQ(waitpid(pid, &round.child_status, 0), pid);
  for (size_t i = 0; i + sizeof(uint64_t) <= buf.size(); i += sizeof(uint64_t)) {
    uint64_t id;
    memcpy(&id, buf.data() + i, sizeof(id));
    round.reported.push_back(id);
  }
  return round;
}

TEST(StoreCrashTest, KillNineNeverLosesAnAcknowledgedBatch) {
  if (!io::UringLoop::Create().ok()) {
    GTEST_SKIP() << "io_uring unavailable here";
  }
  TempDir dir;
  const std::string data_dir = dir.Sub("data");
  std::mt19937 rng(20241121);
  constexpr int kRounds = 6;
  for (int r = 0; r < kRounds; ++r) {
    const uint64_t first_id = static_cast<uint64_t>(r) * 1000000000;
    const int min_acks = 50 + static_cast<int>(rng() % 500);
    const int extra_delay_ms = static_cast<int>(rng() % 400);
    SCOPED_TRACE(absl::StrCat("round ", r, ": killed after ", min_acks, " acks + ",
                              extra_delay_ms, " ms"));
    Round round = CrashRound(data_dir, first_id, rng(), min_acks, extra_delay_ms);
    ASSERT_TRUE(WIFSIGNALED(round.child_status) && WTERMSIG(round.child_status) == SIGKILL)
        << "the child did not die of SIGKILL (status " << round.child_status << ")";
    ASSERT_GE(round.reported.size(), static_cast<size_t>(min_acks));

    // Reopen exactly as berth-control would (integrity_check included), then load.
    io::FakeLoop loop;
    auto store = OpenSqliteStore(loop, SqliteStoreOptions{.data_dir = data_dir});
    ASSERT_TRUE(store.ok()) << store.status();
    std::map<uint64_t, int> task_rows;  // id → rows in tasks
    std::set<uint64_t> attribute_ids;
    std::string last;
    ASSERT_TRUE((*store)
                    ->Load([&](std::string_view table, std::string_view key,
                               std::string_view value) {
                      uint64_t id = 0;
                      if (table == "clusters") {
                        last = std::string(value);
                        return absl::OkStatus();
                      }
                      EXPECT_TRUE(absl::SimpleAtoi(berth::Absl(value), &id)) << value;
                      if (table == "tasks") {
                        ++task_rows[id];
                      } else if (table == "attributes") {
                        attribute_ids.insert(id);
                        EXPECT_EQ(key, absl::StrCat("a-", id));
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    ASSERT_TRUE((*store)->Close().ok());

    // Every acknowledged batch is there, once.
    for (uint64_t id : round.reported) {
      ASSERT_EQ(task_rows[id], 1) << "acknowledged batch " << id;
    }
    // This round's batches: all-or-nothing, exactly once, and a prefix of
    // the submission order (the writer commits in order).
    uint64_t round_max = first_id;
    size_t round_count = 0;
    for (const auto& [id, rows] : task_rows) {
      if (id < first_id || id >= first_id + 1000000000) {
        continue;
      }
      ASSERT_EQ(rows, 1) << "batch " << id << " applied twice";
      ASSERT_TRUE(attribute_ids.contains(id)) << "batch " << id << " half applied";
      round_max = std::max(round_max, id);
      ++round_count;
    }
    EXPECT_EQ(round_count, round_max - first_id + 1) << "a gap in the committed prefix";
    EXPECT_EQ(last, absl::StrCat(round_max)) << "clusters/last is not the last commit";
    EXPECT_GE(round_count, round.reported.size());
    std::printf("round %d: %zu acknowledged, %zu committed (%zu committed but not yet "
                "acknowledged when killed)\n",
                r, round.reported.size(), round_count, round_count - round.reported.size());
    RawDb raw(data_dir + "/berth.db");
    EXPECT_EQ(raw.Column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  }
}

}  // namespace
}  // namespace berth::control
