#ifndef BERTH_BENCH_CONTROL_API_SIM_AGENTS_H_
#define BERTH_BENCH_CONTROL_API_SIM_AGENTS_H_

// Simulated agents for the control-API bench: one per registered container
// instance, each holding the agent long poll (`POST /agent/v1/poll`,
// docs/agent-protocol.md) on its own keep-alive connection, as berth-agent
// does, and acknowledging every message it receives with its next poll. They
// apply nothing: an ack is all the control plane needs to drop the messages,
// so per-instance outboxes never reach their cap (1000) however many tasks
// are placed, and the polls keep the instances connected.
//
// If the poll endpoint is not served (404), every agent stops and the bench
// relies on registration alone (connected for --agent-disconnect-after) and
// on keeping per-instance task counts low. An agent whose poll fails retries
// after 1 s, and gives up after 5 failures in a row.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/control_api/load_client.h"
#include "boost/json.hpp"

namespace berth::bench {

class SimAgents {
 public:
  SimAgents(LoadClient& client, std::string host, std::string cluster, std::string session_id);

  // Starts an agent for a newly registered instance.
  void Add(const std::string& instance_arn);
  // Re-polls agents whose retry time has come; call from the driver's loop.
  void Tick();
  // Closes every agent's connection (before stopping the server, which would
  // otherwise wait for held polls).
  void StopAll();

  bool endpoint_missing() const { return endpoint_missing_; }
  uint64_t messages() const { return messages_; }
  boost::json::object ToJson() const;

 private:
  struct Agent {
    std::string arn;
    int conn = -1;
    uint64_t ack = 0;
    int failures_in_a_row = 0;
    bool stopped = false;
    Clock::time_point retry_at{};
    bool waiting_retry = false;
  };
  void Poll(size_t index);
  void OnReply(size_t index, HttpReply reply);
  void Failed(size_t index, const std::string& what);

  LoadClient& client_;
  std::string host_;
  std::string cluster_;
  std::string session_id_;
  std::vector<Agent> agents_;
  bool endpoint_missing_ = false;
  bool stopping_ = false;
  uint64_t polls_ = 0;
  uint64_t message_answers_ = 0;
  uint64_t messages_ = 0;
  uint64_t max_batch_ = 0;
  uint64_t heartbeats_ = 0;
  uint64_t bytes_ = 0;
  std::map<std::string, uint64_t> other_answers_;  // superseded, reregister, errors
  uint64_t gave_up_ = 0;
};

}  // namespace berth::bench

#endif  // BERTH_BENCH_CONTROL_API_SIM_AGENTS_H_
