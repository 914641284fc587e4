#include "bench/control_api/sim_agents.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::bench {

namespace {

constexpr int kMaxFailuresInARow = 5;
constexpr std::chrono::seconds kRetryAfter{1};

std::string ErrorType(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) {
    return "";
  }
  const boost::json::value* type = v.as_object().if_contains("__type");
  return type != nullptr && type->is_string() ? std::string(type->as_string()) : "";
}

}  // namespace

SimAgents::SimAgents(LoadClient& client, std::string host, std::string cluster,
                     std::string session_id)
    : client_(client),
      host_(std::move(host)),
      cluster_(std::move(cluster)),
      session_id_(std::move(session_id)) {}

void SimAgents::Add(const std::string& instance_arn) {
  if (endpoint_missing_ || stopping_) {
    return;
  }
  Agent agent;
  agent.arn = instance_arn;
  agent.conn = client_.AddConnection();
  agents_.push_back(std::move(agent));
  Poll(agents_.size() - 1);
}

void SimAgents::Poll(size_t index) {
  Agent& a = agents_[index];
  boost::json::object body;
  body["cluster"] = cluster_;
  body["containerInstanceArn"] = a.arn;
  body["sessionId"] = session_id_;
  body["ack"] = a.ack;
  ++polls_;
  client_.Send(a.conn, JsonPost(host_, "/agent/v1/poll", boost::json::serialize(body)),
               [this, index](HttpReply reply) { OnReply(index, std::move(reply)); });
}

void SimAgents::Failed(size_t index, const std::string& what) {
  ++other_answers_[what];
  Agent& a = agents_[index];
  if (++a.failures_in_a_row >= kMaxFailuresInARow) {
    a.stopped = true;
    ++gave_up_;
    return;
  }
  a.waiting_retry = true;
  a.retry_at = Clock::now() + kRetryAfter;
}

void SimAgents::OnReply(size_t index, HttpReply reply) {
  if (stopping_) {
    return;
  }
  bytes_ += reply.body.size();
  if (reply.status == 0) {
    Failed(index, absl::StrCat("transport error: ", reply.error));
    return;
  }
  if (reply.status == 404) {
    // Not served by this build: stop every agent, once.
    endpoint_missing_ = true;
    for (Agent& a : agents_) {
      a.stopped = true;
      client_.CloseConnection(a.conn);
    }
    return;
  }
  if (reply.status != 200) {
    Failed(index, absl::StrCat("HTTP ", reply.status, " ", ErrorType(reply.body)));
    return;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(reply.body, ec);
  const boost::json::object* obj = (!ec && v.is_object()) ? &v.as_object() : nullptr;
  const boost::json::value* type = obj != nullptr ? obj->if_contains("type") : nullptr;
  if (type == nullptr || !type->is_string()) {
    Failed(index, "answer without a type");
    return;
  }
  Agent& a = agents_[index];
  std::string_view kind = type->as_string();
  if (kind == "messages") {
    const boost::json::value* messages = obj->if_contains("messages");
    if (messages == nullptr || !messages->is_array()) {
      Failed(index, "messages answer without messages");
      return;
    }
    const boost::json::array& list = messages->as_array();
    for (const boost::json::value& m : list) {
      const boost::json::value* seq = m.is_object() ? m.as_object().if_contains("seq") : nullptr;
      if (seq != nullptr && seq->is_number()) {
        a.ack = std::max<uint64_t>(a.ack, seq->to_number<uint64_t>(ec));
      }
    }
    ++message_answers_;
    messages_ += list.size();
    max_batch_ = std::max<uint64_t>(max_batch_, list.size());
  } else if (kind == "heartbeat") {
    ++heartbeats_;
  } else {
    // superseded / reregister: a real agent would re-register or back off;
    // the bench counts it and stops that agent.
    ++other_answers_[std::string(kind)];
    a.stopped = true;
    return;
  }
  a.failures_in_a_row = 0;
  Poll(index);
}

void SimAgents::Tick() {
  if (endpoint_missing_ || stopping_) {
    return;
  }
  Clock::time_point now = Clock::now();
  for (size_t i = 0; i < agents_.size(); ++i) {
    Agent& a = agents_[i];
    if (a.waiting_retry && !a.stopped && now >= a.retry_at) {
      a.waiting_retry = false;
      Poll(i);
    }
  }
}

void SimAgents::StopAll() {
  stopping_ = true;
  for (Agent& a : agents_) {
    client_.CloseConnection(a.conn);
  }
}

boost::json::object SimAgents::ToJson() const {
  boost::json::object o;
  o["agents"] = agents_.size();
  o["poll_endpoint_served"] = !endpoint_missing_;
  o["polls"] = polls_;
  o["answers_with_messages"] = message_answers_;
  o["messages_acked"] = messages_;
  o["max_messages_per_answer"] = max_batch_;
  o["heartbeats"] = heartbeats_;
  o["bytes_received"] = bytes_;
  boost::json::object other;
  for (const auto& [what, n] : other_answers_) {
    other[what] = n;
  }
  o["other_answers"] = std::move(other);
  o["agents_gave_up"] = gave_up_;
  return o;
}

}  // namespace berth::bench
