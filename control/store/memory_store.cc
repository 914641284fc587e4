#include "control/store/memory_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace berth::control {

MemoryStore::MemoryStore(io::EventLoop& loop, std::vector<std::string> tables)
    : loop_(loop),
      tables_(std::move(tables)),
      known_(tables_.begin(), tables_.end()),
      self_(std::make_shared<MemoryStore*>(this)) {}

absl::Status MemoryStore::Load(
    absl::FunctionRef<absl::Status(std::string_view, std::string_view, std::string_view)> fn) {
  for (const std::string& table : tables_) {
    auto it = data_.find(table);
    if (it == data_.end()) {
      continue;
    }
    for (const auto& [key, value] : it->second) {
      if (absl::Status s = fn(table, key, value); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

void MemoryStore::Commit(std::vector<Mutation> batch,
                         absl::AnyInvocable<void(absl::Status)> done) {
  Queued q{std::move(batch), std::move(done), absl::OkStatus()};
  if (closed_) {
    q.injected = absl::FailedPreconditionError("failed to commit to the memory store: it is closed");
  } else if (!failures_.empty()) {
    q.injected = failures_.front().first;
    if (--failures_.front().second <= 0) {
      failures_.pop_front();
    }
  }
  if (hold_ && !closed_) {
    held_.push_back(std::move(q));
    return;
  }
  Post(std::move(q));
}

Store::Stats MemoryStore::stats() const {
  Stats s = stats_;
  s.queued = held_.size();
  s.pending = held_.size() + posted_;
  return s;
}

void MemoryStore::Post(Queued q) {
  ++posted_;
  loop_.Post([weak = std::weak_ptr<MemoryStore*>(self_), q = std::move(q)]() mutable {
    if (auto self = weak.lock()) {
      (*self)->Complete(std::move(q));
    } else if (q.done) {
      q.done(absl::AbortedError("the memory store was destroyed before the commit completed"));
    }
  });
}

void MemoryStore::Complete(Queued q) {
  --posted_;
  absl::Status status = q.injected;
  if (status.ok()) {
    for (const Mutation& m : q.batch) {
      if (!known_.contains(m.table)) {
        status = absl::InvalidArgumentError(
            absl::StrCat("failed to commit a batch: unknown table '", m.table,
                         "' (the store has ", absl::StrJoin(tables_, ", "), ")"));
        break;
      }
    }
  }
  ++stats_.batches;
  if (status.ok()) {
    ++stats_.transactions;
    stats_.max_batches_per_txn = std::max<uint64_t>(stats_.max_batches_per_txn, 1);
    for (Mutation& m : q.batch) {
      ++stats_.mutations;
      auto& table = data_[m.table];
      if (m.value) {
        stats_.bytes += m.key.size() + m.value->size();
        table.insert_or_assign(std::move(m.key), std::move(*m.value));
      } else {
        table.erase(m.key);
      }
    }
  } else {
    ++stats_.failed_batches;
  }
  if (q.done) {
    q.done(std::move(status));
  }
}

absl::Status MemoryStore::Close() {
  closed_ = true;
  Release();
  return absl::OkStatus();
}

void MemoryStore::FailNextCommits(absl::Status status, int count) {
  failures_.emplace_back(std::move(status), count);
}

void MemoryStore::Release() {
  hold_ = false;
  while (!held_.empty()) {
    Post(std::move(held_.front()));
    held_.pop_front();
  }
}

std::optional<std::string> MemoryStore::Get(std::string_view table, std::string_view key) const {
  auto t = data_.find(table);
  if (t == data_.end()) {
    return std::nullopt;
  }
  auto it = t->second.find(std::string(key));
  if (it == t->second.end()) {
    return std::nullopt;
  }
  return it->second;
}

size_t MemoryStore::Size(std::string_view table) const {
  auto t = data_.find(table);
  return t == data_.end() ? 0 : t->second.size();
}

}  // namespace berth::control
