// berth_bench_image_pull_tool: the agent's image pipeline (RegistryClient,
// RegistrySource, ImageStore, berth-unpack) in one process, as berth-agent
// runs it, pulling one image N times into one store, and printing per Get
// the wall time and the requests it made:
//
//   berth_bench_image_pull_tool --store DIR --image NAME [--insecure HOST]
//       [--behavior default|always|once|prefer-cached] [--gets N] [--no-durable]
//
//   {"image": ..., "behavior": ..., "durable": true,
//    "gets": [{"ok": true, "seconds": 1.234, "requests": 7, "token_requests": 0,
//              "blob_bytes": 41943040, "layers_unpacked": 5, "error": ""}, ...]}
//
// bench/image_pull/image_pull.py runs it beside skopeo copy + umoci unpack.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "agent/images/image_store.h"
#include "agent/images/oci_json.h"
#include "agent/images/registry_client.h"
#include "agent/images/registry_source.h"
#include "boost/json.hpp"
#include "io/http_client.h"
#include "io/log.h"
#include "io/rng.h"
#include "io/uring_loop.h"
#include "io/worker_pool.h"

namespace berth::images {
namespace {

int Usage(const char* problem) {
  std::cerr << "berth_bench_image_pull_tool: " << problem
            << "\nusage: berth_bench_image_pull_tool --store DIR --image NAME [--insecure HOST] "
               "[--behavior default|always|once|prefer-cached] [--gets N] [--no-durable]\n";
  return 2;
}

int Main(int argc, char** argv) {
  std::string store_dir;
  std::string image;
  std::string behavior_text = "default";
  std::vector<std::string> insecure;
  int gets = 1;
  bool durable = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (a == "--no-durable") {
      durable = false;
    } else if (a == "--store" && (v = value())) {
      store_dir = *v;
    } else if (a == "--image" && (v = value())) {
      image = *v;
    } else if (a == "--insecure" && (v = value())) {
      insecure.push_back(*v);
    } else if (a == "--behavior" && (v = value())) {
      behavior_text = *v;
    } else if (a == "--gets" && (v = value())) {
      if (!absl::SimpleAtoi(*v, &gets) || gets < 1) return Usage("--gets wants a count >= 1");
    } else {
      return Usage(("unknown or incomplete argument " + a).c_str());
    }
  }
  if (store_dir.empty() || image.empty()) return Usage("--store and --image are required");
  PullBehavior behavior;
  if (behavior_text == "default") {
    behavior = PullBehavior::kDefault;
  } else if (behavior_text == "always") {
    behavior = PullBehavior::kAlways;
  } else if (behavior_text == "once") {
    behavior = PullBehavior::kOnce;
  } else if (behavior_text == "prefer-cached") {
    behavior = PullBehavior::kPreferCached;
  } else {
    return Usage("unknown --behavior");
  }

  auto loop = io::UringLoop::Create();
  if (!loop.ok()) {
    std::cerr << loop.status() << "\n";
    return 1;
  }
  io::WorkerPool pool(**loop, 2);
  io::Rng rng(io::Rng::RandomSeed());
  auto http = io::HttpClient::Create(**loop);
  if (!http.ok()) {
    std::cerr << http.status() << "\n";
    return 1;
  }
  RegistryClientOptions registry_options;
  registry_options.insecure_registries = insecure;
  RegistryClient registry(**loop, **http, rng, std::move(registry_options));
  ImageStore::Options options;
  options.durable = durable;
  options.unpack_path = BERTH_UNPACK_PATH;
  options.registry_source = std::make_unique<RegistrySource>(registry, HostArchitecture());
  options.pull_behavior = behavior;
  auto store = ImageStore::Open(**loop, pool, store_dir, std::move(options));
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }

  boost::json::array results;
  for (int n = 0; n < gets; ++n) {
    RegistryStats before = registry.stats();
    ImageStore::Stats store_before = (*store)->stats();
    std::optional<absl::StatusOr<Image>> got;
    absl::Time start = absl::Now();
    (*store)->Get(image, [&](absl::StatusOr<Image> r) { got = std::move(r); });
    while (!got.has_value()) {
      CHECK_OK((*loop)->RunOnce(absl::Milliseconds(50)));
    }
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const RegistryStats& after = registry.stats();
    boost::json::object r;
    r["ok"] = got->ok();
    r["seconds"] = seconds;
    r["requests"] = after.requests - before.requests;
    r["token_requests"] = after.token_requests - before.token_requests;
    r["blob_bytes"] = after.bytes - before.bytes;
    r["layers_unpacked"] = (*store)->stats().layers_unpacked - store_before.layers_unpacked;
    r["error"] = got->ok() ? std::string() : std::string(got->status().message());
    results.push_back(std::move(r));
  }
  // The store writes refs/<name> on a worker after a pull: wait for it (a
  // later run with once or prefer-cached relies on it), at most 5 s.
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (results.back().as_object().at("ok").as_bool() && absl::Now() < give_up &&
         std::filesystem::is_empty(store_dir + "/refs")) {
    CHECK_OK((*loop)->RunOnce(absl::Milliseconds(1)));
  }
  boost::json::object out;
  out["image"] = image;
  out["behavior"] = behavior_text;
  out["durable"] = durable;
  out["gets"] = std::move(results);
  std::cout << boost::json::serialize(out) << std::endl;
  return 0;
}

}  // namespace
}  // namespace berth::images

int main(int argc, char** argv) { return berth::images::Main(argc, argv); }
