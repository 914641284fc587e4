#ifndef BERTH_TESTS_UNIT_CONTROL_API_FAKE_STORE_H_
#define BERTH_TESTS_UNIT_CONTROL_API_FAKE_STORE_H_

// A Store whose commits complete only when the test says so, so tests can
// hold a write "in flight" and see what the API does meanwhile. Records
// live in a map; Load walks them table by table, keys in byte order.

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "control/store/store.h"
#include "io/log.h"

namespace berth::control::testing {

class FakeStore : public Store {
 public:
  absl::Status Load(absl::FunctionRef<absl::Status(std::string_view, std::string_view,
                                                   std::string_view)>
                        fn) override {
    for (const auto& [table, records] : data_) {
      for (const auto& [key, value] : records) {
        if (absl::Status s = fn(table, key, value); !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }

  void Commit(std::vector<Mutation> batch, absl::AnyInvocable<void(absl::Status)> done) override {
    pending_.push_back({std::move(batch), std::move(done)});
    if (auto_complete_) {
      CompleteAll();
    }
  }

  absl::Status Close() override {
    CompleteAll();
    return absl::OkStatus();
  }
  Stats stats() const override { return stats_; }

  // Completes the oldest pending commit: applies it when `status` is OK.
  void CompleteNext(absl::Status status = absl::OkStatus()) {
    CHECK(!pending_.empty());
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    if (status.ok()) {
      for (Mutation& m : p.batch) {
        if (m.value.has_value()) {
          data_[m.table][m.key] = *m.value;
        } else {
          data_[m.table].erase(m.key);
        }
        ++stats_.mutations;
      }
    }
    ++stats_.batches;
    ++stats_.transactions;
    p.done(status);
  }
  void CompleteAll() {
    while (!pending_.empty()) {
      CompleteNext();
    }
  }
  // Completes every commit as soon as it is submitted.
  void AutoComplete(bool on) { auto_complete_ = on; }

  size_t pending() const { return pending_.size(); }
  const std::vector<Mutation>& pending_batch(size_t i) const { return pending_[i].batch; }
  void Put(std::string table, std::string key, std::string value) {
    data_[std::move(table)][std::move(key)] = std::move(value);
  }
  const std::map<std::string, std::map<std::string, std::string>>& data() const { return data_; }

 private:
  struct Pending {
    std::vector<Mutation> batch;
    absl::AnyInvocable<void(absl::Status)> done;
  };
  std::deque<Pending> pending_;
  std::map<std::string, std::map<std::string, std::string>> data_;
  Stats stats_;
  bool auto_complete_ = false;
};

}  // namespace berth::control::testing

#endif  // BERTH_TESTS_UNIT_CONTROL_API_FAKE_STORE_H_
