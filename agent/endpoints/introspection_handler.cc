#include "agent/endpoints/introspection_handler.h"

#include <utility>

#include "agent/endpoints/go_json.h"
#include "agent/endpoints/license.h"
#include "agent/endpoints/task_views.h"
#include "agent/endpoints/version.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;

constexpr std::string_view kMetadataPath = "/v1/metadata";
constexpr std::string_view kTasksPath = "/v1/tasks";
constexpr std::string_view kLicensePath = "/license";
constexpr std::string_view kMetricsPath = "/metrics";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Go's url.QueryUnescape; nullopt for a malformed %-escape.
std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) {
        return std::nullopt;
      }
      int hi = HexDigit(s[i + 1]);
      int lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

io::HttpResponse JsonResponse(int status, const json::value& body) {
  return io::HttpResponse::Json(status, GoJson(body));
}

io::HttpResponse TaskError(int status) { return JsonResponse(status, EmptyV1TaskResponse()); }

std::string_view RouteLabel(std::string_view path) {
  for (std::string_view route : {kMetadataPath, kTasksPath, kLicensePath, kMetricsPath}) {
    if (path == route) {
      return route;
    }
  }
  return "other";
}

}  // namespace

std::map<std::string, std::vector<std::string>, std::less<>> ParseQuery(std::string_view query) {
  std::map<std::string, std::vector<std::string>, std::less<>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) {
      continue;
    }
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::optional<std::string> key = Unescape(raw_key);
    std::optional<std::string> value = Unescape(raw_value);
    if (!key.has_value() || !value.has_value()) {
      continue;
    }
    out[*key].push_back(std::move(*value));
  }
  return out;
}

IntrospectionHandler::IntrospectionHandler(const IntrospectionSource& source,
                                           AgentMetrics& metrics, Options options)
    : source_(source), metrics_(metrics), options_(std::move(options)) {
  if (options_.version.empty()) {
    options_.version = std::string(AgentVersionString());
  }
  if (options_.license_text.empty()) {
    options_.license_text = std::string(LicenseText());
  }
  if (!options_.rss_bytes) {
    options_.rss_bytes = ReadSelfRssBytes;
  }
}

io::HttpResponse IntrospectionHandler::Handle(const io::HttpRequest& request) {
  std::string_view path = request.path();
  io::HttpResponse response;
  if (path == kMetadataPath) {
    response = JsonResponse(200, V1MetadataResponse(source_.Metadata(), options_.version));
  } else if (path == kTasksPath) {
    response = Tasks(request.query());
  } else if (path == kLicensePath) {
    response = io::HttpResponse::Text(200, options_.license_text);
  } else if (path == kMetricsPath) {
    // Counted before rendering, so a scrape sees itself.
    metrics_.RecordIntrospectionRequest(kMetricsPath, 200);
    response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    response.body = metrics_.Render(source_, options_.rss_bytes());
    return response;
  } else {
    json::object commands;
    commands["AvailableCommands"] = json::array{kMetadataPath, kTasksPath, kLicensePath};
    response = JsonResponse(200, commands);
  }
  metrics_.RecordIntrospectionRequest(RouteLabel(path), response.status);
  return response;
}

io::HttpResponse IntrospectionHandler::Tasks(std::string_view query) const {
  auto params = ParseQuery(query);
  auto docker_id = params.find("dockerid");
  auto task_arn = params.find("taskarn");
  if (docker_id != params.end() && task_arn != params.end()) {
    return TaskError(400);
  }
  if (docker_id != params.end()) {
    std::vector<const TaskState*> tasks = FindByRuntimeId(source_, docker_id->second.front());
    if (tasks.size() > 1) {
      return TaskError(400);
    }
    if (tasks.empty()) {
      return TaskError(404);
    }
    return JsonResponse(200, V1TaskResponse(*tasks.front()));
  }
  if (task_arn != params.end()) {
    const TaskState* task = source_.FindByArn(task_arn->second.front());
    if (task == nullptr) {
      return TaskError(404);
    }
    return JsonResponse(200, V1TaskResponse(*task));
  }
  json::array tasks;
  source_.ForEachTask([&](const TaskState& task) { tasks.emplace_back(V1TaskResponse(task)); });
  json::object out;
  out["Tasks"] = std::move(tasks);
  return JsonResponse(200, out);
}

}  // namespace berth::agent::endpoints
