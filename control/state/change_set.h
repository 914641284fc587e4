#ifndef BERTH_CONTROL_STATE_CHANGE_SET_H_
#define BERTH_CONTROL_STATE_CHANGE_SET_H_

// The store writes one API request makes. Every mutating call on the model
// takes a ChangeSet and records the record it changed, so the in-memory
// model and what the framework commits to the Store cannot drift apart.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/store/store.h"

namespace berth::control::state {

class ChangeSet {
 public:
  void Put(std::string_view table, std::string key, std::string value) {
    mutations_.push_back(Mutation::Put(std::string(table), std::move(key), std::move(value)));
  }
  void Delete(std::string_view table, std::string key) {
    mutations_.push_back(Mutation::Delete(std::string(table), std::move(key)));
  }

  bool empty() const { return mutations_.empty(); }
  size_t size() const { return mutations_.size(); }
  const std::vector<Mutation>& mutations() const { return mutations_; }
  std::vector<Mutation> Take() { return std::exchange(mutations_, {}); }

 private:
  std::vector<Mutation> mutations_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_CHANGE_SET_H_
