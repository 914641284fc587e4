// Benchmarks of the SQLite store (control/store/sqlite_store.h) on this
// machine's disk: durable commits per second at 1, 16 and 256 concurrent
// batches of one 1 KiB record, with group commit and with it disabled (one
// batch per transaction), and the start-up cost of a 100,000-record store.
// Printed, never asserted; docs/control-store.md has the figures.
//
// The store lives under $BERTH_BENCH_DIR (default /var/tmp): put it on the
// disk you care about, not on a tmpfs, or fsync costs nothing.

#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "control/store/sqlite_store.h"
#include "io/fake_loop.h"
#include "io/log.h"
#include "io/uring_loop.h"

namespace berth::control {
namespace {

std::string BenchDir(const std::string& name) {
  const char* base = getenv("BERTH_BENCH_DIR");
  std::string dir = absl::StrCat(base != nullptr && *base != '\0' ? base : "/var/tmp",
                                 "/berth-store-bench-", getpid(), "-", name);
  std::filesystem::remove_all(dir);
  return dir;
}

// range(0): batches in flight; range(1): 1 = group commit (the default), 0 =
// one batch per transaction (max_txn_bytes = 1), i.e. one fsync per batch.
void BM_DurableCommit(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  const bool group = state.range(1) != 0;
  auto loop = io::UringLoop::Create();
  if (!loop.ok()) {
    state.SkipWithError(loop.status().ToString().c_str());
    return;
  }
  const std::string dir = BenchDir(absl::StrCat("commit-", in_flight, "-", group));
  SqliteStoreOptions options;
  options.data_dir = dir;
  if (!group) {
    options.max_txn_bytes = 1;
  }
  auto store = OpenSqliteStore(**loop, options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  const std::string value(1024, 'v');
  constexpr int kPerIteration = 1024;
  uint64_t key = 0;
  for (auto _ : state) {
    int submitted = 0;
    int completed = 0;
    std::function<void()> submit = [&] {
      ++submitted;
      (*store)->Commit({Mutation::Put("tasks", absl::StrCat("task-", key++), value)},
                       [&](absl::Status s) {
                         CHECK_OK(s);
                         ++completed;
                         if (submitted < kPerIteration) {
                           submit();
                         } else if (completed == kPerIteration) {
                           (*loop)->Stop();
                         }
                       });
    };
    (*loop)->Post([&] {
      for (int i = 0; i < in_flight && submitted < kPerIteration; ++i) {
        submit();
      }
    });
    CHECK_OK((*loop)->Run());
  }
  const Store::Stats stats = (*store)->stats();
  state.SetItemsProcessed(state.iterations() * kPerIteration);
  state.counters["batches/txn"] =
      static_cast<double>(stats.batches) / static_cast<double>(std::max<uint64_t>(1, stats.transactions));
  state.counters["p50_ms"] = stats.batch_p50_us / 1000;
  state.counters["p99_ms"] = stats.batch_p99_us / 1000;
  state.counters["txn_p50_ms"] = stats.txn_p50_us / 1000;
  CHECK_OK((*store)->Close());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DurableCommit)
    ->ArgNames({"in_flight", "group"})
    ->Args({1, 1})
    ->Args({16, 1})
    ->Args({256, 1})
    ->Args({16, 0})
    ->Args({256, 0})
    ->UseRealTime()
    ->MinTime(2)
    ->Unit(benchmark::kMillisecond);

// A closed store of 100,000 tasks of 1 KiB each under random task ARNs,
// made once per process.
const std::string& HundredThousandStore() {
  static const std::string* dir = [] {
    auto* d = new std::string(BenchDir("100k"));
    io::FakeLoop loop;
    SqliteStoreOptions options;
    options.data_dir = *d;
    auto store = OpenSqliteStore(loop, options);
    CHECK_OK(store.status());
    int done = 0;
    const std::string value(1024, 'v');
    std::mt19937_64 rng(1);
    for (int b = 0; b < 100; ++b) {
      std::vector<Mutation> batch;
      for (int i = 0; i < 1000; ++i) {
        // Task ARNs end in random 32-hex ids, so keys arrive in random order.
        char id[33];
        snprintf(id, sizeof(id), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                 static_cast<unsigned long long>(rng()));
        batch.push_back(Mutation::Put(
            "tasks", absl::StrCat("arn:aws:ecs:us-east-1:000000000000:task/default/", id), value));
      }
      (*store)->Commit(std::move(batch), [&](absl::Status s) {
        CHECK_OK(s);
        ++done;
      });
    }
    while (done < 100) {
      loop.RunUntilIdle();
    }
    CHECK_OK((*store)->Close());
    return d;
  }();
  return *dir;
}

// Open (check included) + Close of the 100k store; range(0) is the check.
// The file is in the page cache after the first iteration: this is CPU cost,
// a cold start adds reading ~130 MB.
void BM_Open100k(benchmark::State& state) {
  const auto check = static_cast<SqliteStoreOptions::Check>(state.range(0));
  const std::string& dir = HundredThousandStore();
  io::FakeLoop loop;
  for (auto _ : state) {
    SqliteStoreOptions options;
    options.data_dir = dir;
    options.open_check = check;
    auto store = OpenSqliteStore(loop, options);
    CHECK_OK(store.status());
    CHECK_OK((*store)->Close());
  }
}
BENCHMARK(BM_Open100k)
    ->ArgName("check(0=none,1=quick,2=full)")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

void BM_Load100k(benchmark::State& state) {
  const std::string& dir = HundredThousandStore();
  io::FakeLoop loop;
  SqliteStoreOptions options;
  options.data_dir = dir;
  options.open_check = SqliteStoreOptions::Check::kNone;
  auto store = OpenSqliteStore(loop, options);
  CHECK_OK(store.status());
  size_t records = 0;
  for (auto _ : state) {
    records = 0;
    CHECK_OK((*store)->Load([&](std::string_view, std::string_view, std::string_view value) {
      benchmark::DoNotOptimize(value.data());
      ++records;
      return absl::OkStatus();
    }));
  }
  CHECK_OK((*store)->Close());
  state.SetItemsProcessed(state.iterations() * records);
}
BENCHMARK(BM_Load100k)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace berth::control

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(berth::control::BenchDir("100k"));
  return 0;
}
