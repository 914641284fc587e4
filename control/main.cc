// berth-control: the control plane. Serves the ECS API (docs/control.md) on
// one HTTP listener from an in-memory model that every change is committed
// through the durable store before it is answered.
//
//   berth-control --listen 127.0.0.1:8080 --data-dir DIR
//                 [--region us-east-1] [--account 000000000000]
//                 [--credentials FILE] [--log-level info]
//                 [--agent-poll-timeout 20] [--agent-disconnect-after 60]
//
// Start-up: open the store (refusing a corrupt or foreign one with the
// store's message), rebuild the model from it, listen, restore the agent
// outboxes (before the loop runs, so before any request is read), log one
// "ready" line.
// SIGTERM/SIGINT: stop accepting, answer what is in flight, close the store,
// exit 0. A failed store commit: answer ServerException, shut down, exit 1
// (systemd's Restart=on-failure brings it back from the durable state).

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/agents/agent_channel.h"
#include "control/api/agent_dispatch.h"
#include "control/api/api_service.h"
#include "control/api/ops/ops.h"
#include "control/auth/authenticator.h"
#include "control/auth/credentials.h"
#include "control/state/model.h"
#include "control/store/sqlite_store.h"
#include "io/absl_compat.h"
#include "io/http_server.h"
#include "io/log.h"
#include "io/rng.h"
#include "io/socket.h"
#include "io/uring_loop.h"

namespace berth::control {
namespace {

constexpr absl::Duration kShutdownGrace = absl::Seconds(10);

struct Flags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;
  std::string region = "us-east-1";
  std::string account = "000000000000";
  std::string credentials;
  std::string log_level = "info";
  std::string agent_poll_timeout = "20";
  std::string agent_disconnect_after = "60";
  std::string stopped_task_retention = "3600";
  // Parsed from the three above.
  absl::Duration poll_timeout;
  absl::Duration disconnect_after;
  absl::Duration stopped_task_retention_duration;
};

// A duration flag in seconds (fractions allowed), more than 0 and at most
// one hour. Returns "" or what is wrong.
std::string ParseSeconds(std::string_view name, const std::string& text, absl::Duration* out) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds > 0) || seconds > 3600) {
    return absl::StrCat(Absl(name), " must be a number of seconds above 0 and at most 3600, not '",
                        text, "'");
  }
  *out = absl::Seconds(seconds);
  return "";
}

int Usage(const char* argv0, std::string_view problem) {
  if (!problem.empty()) {
    std::fprintf(stderr, "berth-control: %.*s\n", static_cast<int>(problem.size()),
                 problem.data());
  }
  std::fprintf(stderr,
               "usage: %s --listen ADDR:PORT --data-dir DIR [--region R] [--account A]\n"
               "          [--credentials FILE] [--log-level debug|info|warn|error]\n"
               "          [--agent-poll-timeout SECONDS (20)] [--agent-disconnect-after SECONDS "
               "(60)]\n"
               "          [--stopped-task-retention SECONDS (3600)]\n",
               argv0);
  return 2;
}

// Parses "--name value" and "--name=value". Returns "" or what is wrong.
std::string ParseFlags(int argc, char** argv, Flags* flags) {
  struct Known {
    std::string_view name;
    std::string* value;
  } known[] = {{"--listen", &flags->listen},       {"--data-dir", &flags->data_dir},
               {"--region", &flags->region},       {"--account", &flags->account},
               {"--credentials", &flags->credentials}, {"--log-level", &flags->log_level},
               {"--agent-poll-timeout", &flags->agent_poll_timeout},
               {"--agent-disconnect-after", &flags->agent_disconnect_after},
               {"--stopped-task-retention", &flags->stopped_task_retention}};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool matched = false;
    for (const Known& k : known) {
      if (arg == k.name) {
        if (i + 1 >= argc) {
          return absl::StrCat(Absl(k.name), " needs a value");
        }
        *k.value = argv[++i];
        matched = true;
      } else if (arg.size() > k.name.size() && arg.substr(0, k.name.size()) == k.name &&
                 arg[k.name.size()] == '=') {
        *k.value = std::string(arg.substr(k.name.size() + 1));
        matched = true;
      }
    }
    if (!matched) {
      return absl::StrCat("unknown argument ", Absl(arg));
    }
  }
  if (flags->data_dir.empty()) {
    return "--data-dir is required";
  }
  if (flags->region.empty() || !std::all_of(flags->region.begin(), flags->region.end(), [](char c) {
        return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
      })) {
    return "--region must be lowercase letters, digits and hyphens (e.g. us-east-1)";
  }
  if (flags->account.size() != 12 ||
      !std::all_of(flags->account.begin(), flags->account.end(), absl::ascii_isdigit)) {
    return "--account must be 12 digits";
  }
  if (std::string problem =
          ParseSeconds("--agent-poll-timeout", flags->agent_poll_timeout, &flags->poll_timeout);
      !problem.empty()) {
    return problem;
  }
  if (std::string problem =
          ParseSeconds("--stopped-task-retention", flags->stopped_task_retention,
                       &flags->stopped_task_retention_duration);
      !problem.empty()) {
    return problem;
  }
  if (std::string problem = ParseSeconds("--agent-disconnect-after",
                                         flags->agent_disconnect_after, &flags->disconnect_after);
      !problem.empty()) {
    return problem;
  }
  return "";
}

int Main(int argc, char** argv) {
  Flags flags;
  if (std::string problem = ParseFlags(argc, argv, &flags); !problem.empty()) {
    return Usage(argv[0], problem);
  }
  log::Severity severity;
  if (!log::ParseSeverity(flags.log_level, &severity)) {
    return Usage(argv[0], "--log-level must be debug, info, warn, error or crit");
  }
  log::SetMinSeverity(severity);
  absl::StatusOr<io::SocketAddress> address = io::SocketAddress::Parse(flags.listen);
  if (!address.ok()) {
    return Usage(argv[0], absl::StrCat("bad --listen: ", address.status().message()));
  }
  std::optional<auth::CredentialSet> credentials;
  if (!flags.credentials.empty()) {
    absl::StatusOr<auth::CredentialSet> loaded = auth::CredentialSet::Load(flags.credentials);
    if (!loaded.ok()) {
      LOG(ERROR) << "refusing to start: " << loaded.status().message();
      return 1;
    }
    credentials = *std::move(loaded);
  }

  // Signals arrive through a signalfd the loop polls, so shutdown runs on
  // the loop thread like everything else.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) {
    LOG(ERROR) << "failed to block SIGINT/SIGTERM: " << std::strerror(errno);
    return 1;
  }
  io::UniqueFd signal_fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd.valid()) {
    LOG(ERROR) << "failed to create a signalfd: " << std::strerror(errno);
    return 1;
  }

  absl::StatusOr<std::unique_ptr<io::UringLoop>> loop = io::UringLoop::Create();
  if (!loop.ok()) {
    LOG(ERROR) << "refusing to start: " << loop.status().message();
    return 1;
  }
  SqliteStoreOptions store_options;
  store_options.data_dir = flags.data_dir;
  for (const std::string& table : state::Model::Tables()) {
    if (std::find(store_options.tables.begin(), store_options.tables.end(), table) ==
        store_options.tables.end()) {
      store_options.tables.push_back(table);
    }
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(**loop, store_options);
  if (!store.ok()) {
    LOG(ERROR) << "refusing to start: " << store.status().message();
    return 1;
  }
  state::Model model(ecs::ArnScope{flags.region, flags.account});
  if (absl::Status loaded = model.Load(**store); !loaded.ok()) {
    LOG(ERROR) << "refusing to start: the store in " << flags.data_dir
               << " does not load: " << loaded.message();
    (*store)->Close().IgnoreError();
    return 1;
  }

  auth::AuthOptions auth_options;
  auth_options.region = flags.region;
  auth::Authenticator authenticator(auth_options, std::move(credentials), (*loop)->time());
  if (authenticator.dev_mode()) {
    LOG(WARNING) << "no --credentials: dev mode, every request is accepted whether or not it "
                    "is signed (signatures are checked for form, scope and clock skew only)";
  }
  io::Rng rng(io::Rng::RandomSeed());
  OperationRegistry ops;
  ops::RegisterAllOperations(ops);
  // The agent channel outlives the API service (which holds its replies and
  // commit hooks) and is restored once the listen address, which its
  // DiscoverPollEndpoint answer names, is known.
  agents::AgentChannelOptions channel_options;
  channel_options.poll_timeout = flags.poll_timeout;
  channel_options.disconnect_after = flags.disconnect_after;
  agents::AgentChannel channel(**loop, channel_options);
  std::optional<AgentDispatch> dispatch;
  ApiService api(**loop, model, **store, authenticator, ops, rng);
  io::HttpServer::Options server_options;
  // Above the API's own 1 MiB limit, so an oversized request is read whole
  // and answered with RequestEntityTooLargeException (api_service.h).
  server_options.limits.max_body_bytes = 8 << 20;
  io::HttpServer server(**loop, server_options, api.HttpHandler());
  if (absl::Status listening = server.Listen(*address); !listening.ok()) {
    LOG(ERROR) << "refusing to start: failed to listen on " << flags.listen << ": "
               << listening.message();
    (*store)->Close().IgnoreError();
    return 1;
  }
  // A held poll is a request waiting for its handler: the server's idle
  // timeout does not apply to it and its request timeout stops once the
  // request is read, so neither cuts a poll however long it is held.
  dispatch.emplace(channel, model, absl::StrCat("http://", server.address().ToString()));
  if (absl::Status restored = dispatch->Restore(); !restored.ok()) {
    LOG(ERROR) << "refusing to start: the store in " << flags.data_dir
               << " does not load: " << restored.message();
    (*store)->Close().IgnoreError();
    return 1;
  }
  api.SetAgentDispatch(&*dispatch);

  // Stopped tasks stay describable for --stopped-task-retention (ECS keeps
  // them about an hour), then go; at most kExpireBatch per sweep, so one
  // sweep is one modest commit.
  const absl::Duration kExpirySweep =
      std::min(absl::Seconds(30), flags.stopped_task_retention_duration / 2);
  constexpr size_t kExpireBatch = 1000;
  absl::AnyInvocable<void()> sweep;
  sweep = [&] {
    api.RunInternal([&](OpContext& ctx) {
      size_t expired = ctx.model.tasks().ExpireStopped(
          ctx.now - flags.stopped_task_retention_duration, kExpireBatch, ctx.changes);
      if (expired > 0) {
        LOG(DEBUG) << "expired " << expired << " stopped tasks";
      }
    });
    (*loop)->AddTimer(kExpirySweep, [&] { sweep(); });
  };
  (*loop)->AddTimer(kExpirySweep, [&] { sweep(); });

  int exit_code = 0;
  bool stopping = false;
  auto stop = [&](absl::Duration grace) {
    if (stopping) {
      return;
    }
    stopping = true;
    // Held agent polls are in-flight requests: answer them now rather than
    // let the shutdown wait out the poll timeout.
    channel.AnswerHeldPolls();
    server.Shutdown(grace, [&] { (*loop)->Stop(); });
  };
  (*loop)->Poll(signal_fd.get(), POLLIN, [&](int32_t) {
    LOG(INFO) << "signal received: shutting down";
    stop(kShutdownGrace);
  });
  api.OnFatal([&](const absl::Status& status) {
    LOG(ERROR) << "exiting so the service restarts from the durable state: " << status;
    exit_code = 1;
    stop(absl::Seconds(2));
  });

  LOG(INFO) << "berth-control ready on " << server.address().ToString() << " (region "
            << flags.region << ", account " << flags.account << ", "
            << model.clusters().entries().size() << " clusters, data dir " << flags.data_dir
            << ", auth " << (authenticator.dev_mode() ? "dev mode" : "SigV4 with --credentials")
            << ", agent poll timeout " << flags.poll_timeout << ")";
  if (absl::Status ran = (*loop)->Run(); !ran.ok()) {
    LOG(ERROR) << "event loop failed: " << ran;
    exit_code = 1;
  }
  if (absl::Status closed = (*store)->Close(); !closed.ok()) {
    LOG(ERROR) << "failed to close the store: " << closed;
    exit_code = 1;
  }
  LOG(INFO) << "berth-control stopped";
  return exit_code;
}

}  // namespace
}  // namespace berth::control

int main(int argc, char** argv) { return berth::control::Main(argc, argv); }
