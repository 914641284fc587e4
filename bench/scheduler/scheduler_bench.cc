// Placement throughput on one core.
//
//   BM_Place/<instances>/<index 1|scan 0>/<count>: one RunTask-sized request
//   (count 1 or 10) per iteration, placed and committed to the snapshot, on
//   a cluster with 10 running tasks per instance. Every 20,000 placements
//   the benchmark's own tasks are removed (untimed), so the cluster does not
//   fill up. Counters: placements/s, and instances examined per placement
//   (the index search looks at a handful, the scan at all candidates).
//
//   BM_PlaceShape/<index>/<shape>: the same at 5,000 instances for the
//   service default strategies (shape 1) and RunTask's random (shape 2).
//
//   BM_HundredThousandTasks/<index 1|scan 0>: 100,000 tasks in requests of
//   10 on a fresh 5,000-instance cluster with 50,000 running tasks; the time
//   is the whole run, Prepare() included. The scan variant (about 100 s)
//   runs only with BERTH_BENCH_SLOW=1.
//
// Run: build/release/bench/scheduler/berth_bench_scheduler

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/scheduler/synthetic_cluster.h"
#include "benchmark/benchmark.h"
#include "control/scheduler/place.h"
#include "io/log.h"

namespace berth::scheduler::bench {
namespace {

constexpr size_t kChurn = 20000;

// One cluster per (size, path), built on first use: a cluster that was
// Prepare()d has indexes, and Place() would use them.
ClusterSnapshot& Cluster(int instances, bool index) {
  static auto* clusters = new std::map<std::pair<int, bool>, std::unique_ptr<ClusterSnapshot>>();
  std::unique_ptr<ClusterSnapshot>& c = (*clusters)[{instances, index}];
  if (c == nullptr) {
    c = std::make_unique<ClusterSnapshot>();
    BuildCluster({.instances = instances, .tasks_per_instance = 10, .seed = 7}, c.get());
  }
  return *c;
}

struct Tally {
  int64_t placements = 0;
  int64_t examined = 0;
  int64_t indexed = 0;
};

void PlaceAndCommit(ClusterSnapshot& snapshot, const PlacementRequest& request, io::Rng& rng,
                    uint64_t* next_task, std::vector<std::string>* placed, Tally* tally,
                    benchmark::State& state) {
  Plan plan = Place(snapshot, request, rng);
  if (!plan.unplaced.empty()) {
    state.SkipWithError("the cluster is full");
    return;
  }
  std::vector<std::string> arns;
  arns.reserve(plan.placements.size());
  for (const Placement& p : plan.placements) {
    arns.push_back(absl::StrCat("t", (*next_task)++));
    tally->examined += p.examined;
    tally->indexed += p.path == SearchPath::kIndex ? 1 : 0;
  }
  CHECK_OK(snapshot.Commit(plan, request, arns));
  tally->placements += static_cast<int64_t>(plan.placements.size());
  placed->insert(placed->end(), arns.begin(), arns.end());
}

void Report(benchmark::State& state, const Tally& tally, bool index) {
  state.counters["placements/s"] =
      benchmark::Counter(static_cast<double>(tally.placements), benchmark::Counter::kIsRate);
  state.counters["examined/placement"] =
      tally.placements > 0 ? static_cast<double>(tally.examined) / tally.placements : 0;
  state.SetItemsProcessed(tally.placements);
  state.SetLabel(tally.indexed == tally.placements ? (index ? "index" : "index?!")
                                                    : (index ? "scan?!" : "scan"));
}

void BM_Place(benchmark::State& state) {
  int instances = static_cast<int>(state.range(0));
  bool index = state.range(1) != 0;
  int count = static_cast<int>(state.range(2));
  ClusterSnapshot& snapshot = Cluster(instances, index);
  absl::StatusOr<PlacementRequest> request = CompileRequest(BenchRequest(count));
  CHECK_OK(request.status());
  if (index) {
    snapshot.Prepare(*request);
  }
  io::Rng rng(1);
  uint64_t next_task = 0;
  std::vector<std::string> placed;
  Tally tally;
  for (auto _ : state) {
    PlaceAndCommit(snapshot, *request, rng, &next_task, &placed, &tally, state);
    if (placed.size() >= kChurn) {
      state.PauseTiming();
      for (const std::string& arn : placed) {
        CHECK_OK(snapshot.RemoveTask(arn));
      }
      placed.clear();
      state.ResumeTiming();
    }
  }
  for (const std::string& arn : placed) {
    CHECK_OK(snapshot.RemoveTask(arn));
  }
  Report(state, tally, index);
}
BENCHMARK(BM_Place)
    ->ArgNames({"instances", "index", "count"})
    ->ArgsProduct({{1000, 5000, 20000}, {1, 0}, {1, 10}})
    ->MinTime(1.0);

void BM_HundredThousandTasks(benchmark::State& state) {
  bool index = state.range(0) != 0;
  // Outside the loop, so neither building nor destroying it is timed.
  ClusterSnapshot snapshot;
  BuildCluster({.instances = 5000, .tasks_per_instance = 10, .seed = 11}, &snapshot);
  for (auto _ : state) {
    state.PauseTiming();
    absl::StatusOr<PlacementRequest> request = CompileRequest(BenchRequest(10));
    CHECK_OK(request.status());
    io::Rng rng(2);
    uint64_t next_task = 0;
    std::vector<std::string> placed;
    placed.reserve(100000);
    Tally tally;
    state.ResumeTiming();
    if (index) {
      snapshot.Prepare(*request);  // timed: building the indexes is part of the run
    }
    for (int r = 0; r < 10000 && tally.placements < 100000; ++r) {
      PlaceAndCommit(snapshot, *request, rng, &next_task, &placed, &tally, state);
    }
    state.PauseTiming();
    Report(state, tally, index);
    state.counters["tasks"] = static_cast<double>(tally.placements);
    state.ResumeTiming();
  }
}
// The other request shapes at 5,000 instances: the service default
// (spread zone, spread instanceId) and RunTask's random.
void BM_PlaceShape(benchmark::State& state) {
  bool index = state.range(0) != 0;
  Shape shape = static_cast<Shape>(state.range(1));
  ClusterSnapshot& snapshot = Cluster(5000, index);
  absl::StatusOr<PlacementRequest> request = CompileRequest(BenchRequest(1, shape));
  CHECK_OK(request.status());
  if (index) {
    snapshot.Prepare(*request);
  }
  io::Rng rng(3);
  uint64_t next_task = 0;
  std::vector<std::string> placed;
  Tally tally;
  for (auto _ : state) {
    PlaceAndCommit(snapshot, *request, rng, &next_task, &placed, &tally, state);
    if (placed.size() >= kChurn) {
      state.PauseTiming();
      for (const std::string& arn : placed) {
        CHECK_OK(snapshot.RemoveTask(arn));
      }
      placed.clear();
      state.ResumeTiming();
    }
  }
  for (const std::string& arn : placed) {
    CHECK_OK(snapshot.RemoveTask(arn));
  }
  Report(state, tally, index);
}
BENCHMARK(BM_PlaceShape)
    ->ArgNames({"index", "shape"})
    ->ArgsProduct({{1, 0}, {static_cast<int>(Shape::kServiceDefault),
                            static_cast<int>(Shape::kRunTaskDefault)}})
    ->MinTime(1.0);

void HundredThousandTasks(benchmark::internal::Benchmark* b, bool with_scan) {
  b->ArgNames({"index"})->Arg(1)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  if (with_scan) {
    b->Arg(0);  // about 100 s on the scan
  }
}

}  // namespace
}  // namespace berth::scheduler::bench

// BERTH_BENCH_SLOW=1 adds the 100,000-task run on the scan.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  berth::scheduler::bench::HundredThousandTasks(
      benchmark::RegisterBenchmark("BM_HundredThousandTasks",
                                   berth::scheduler::bench::BM_HundredThousandTasks),
      std::getenv("BERTH_BENCH_SLOW") != nullptr);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
