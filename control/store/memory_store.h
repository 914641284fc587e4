#ifndef BERTH_CONTROL_STORE_MEMORY_STORE_H_
#define BERTH_CONTROL_STORE_MEMORY_STORE_H_

// A Store kept in memory, for unit tests of the API layer: no files, no
// threads, no durability. Commit() applies and completes its batch through
// loop.Post (so `done` never runs inside Commit, as with the real store), in
// submission order. Test controls fail the next commits or hold completions
// back to exercise error paths and requests that wait for their commit.

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "control/store/store.h"
#include "io/event_loop.h"

namespace berth::control {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(io::EventLoop& loop,
                       std::vector<std::string> tables = DefaultStoreTables());

  // Store.
  absl::Status Load(absl::FunctionRef<absl::Status(std::string_view table, std::string_view key,
                                                   std::string_view value)>
                        fn) override;
  void Commit(std::vector<Mutation> batch, absl::AnyInvocable<void(absl::Status)> done) override;
  absl::Status Close() override;
  Stats stats() const override;

  // Test controls.
  // The next `count` commits fail with `status` (nothing of them is applied).
  void FailNextCommits(absl::Status status, int count = 1);
  // While held, commits queue without completing; Release() completes them
  // (in order) and stops holding.
  void Hold() { hold_ = true; }
  void Release();
  size_t held() const { return held_.size(); }

  // The committed value of a record, or nullopt.
  std::optional<std::string> Get(std::string_view table, std::string_view key) const;
  // Number of committed records in `table`.
  size_t Size(std::string_view table) const;

 private:
  struct Queued {
    std::vector<Mutation> batch;
    absl::AnyInvocable<void(absl::Status)> done;
    absl::Status injected;  // from FailNextCommits
  };
  void Post(Queued q);
  void Complete(Queued q);

  io::EventLoop& loop_;
  std::vector<std::string> tables_;
  std::set<std::string, std::less<>> known_;
  std::map<std::string, std::map<std::string, std::string>, std::less<>> data_;
  std::deque<std::pair<absl::Status, int>> failures_;  // status, remaining count
  bool hold_ = false;
  bool closed_ = false;
  std::deque<Queued> held_;
  Stats stats_;
  uint64_t posted_ = 0;  // completions posted and not yet run
  // Posted completions hold a weak reference, so a store destroyed before
  // the loop ran them fails them with Aborted instead of touching freed memory.
  std::shared_ptr<MemoryStore*> self_;
};

}  // namespace berth::control

#endif  // BERTH_CONTROL_STORE_MEMORY_STORE_H_
