// Fuzzes the ecs.config reader end to end: arbitrary bytes are parsed as an
// env file; what parses is re-written with double quotes and must parse back
// to the same entries; the entries are validated into an AgentConfig (the
// same either as file or as environment); a valid config builds a
// RegisterContainerInstance body that is JSON the ECS codecs decode, with
// only names ECS accepts. The same bytes also go through the INI reader of
// the AWS credentials files. Failures must be InvalidArgument with the
// documented message shapes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/config/agent_config.h"
#include "agent/config/attribute_rules.h"
#include "agent/config/env_file.h"
#include "agent/config/ini_file.h"
#include "agent/config/registration.h"
#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace {

using namespace berth::agent::config;  // NOLINT: fuzz harness

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A value's CR followed by its LF would read back as one CRLF line end (a
// single LF): a backslash-newline, which the parser drops, keeps them apart.
std::string Requote(const std::vector<EnvFileEntry>& entries) {
  std::string out;
  for (const EnvFileEntry& e : entries) {
    out += e.key;
    out += "=\"";
    for (size_t i = 0; i < e.value.size(); ++i) {
      const char c = e.value[i];
      if (c == '"' || c == '\\' || c == '$' || c == '`') {
        out += '\\';
      }
      out += c;
      if (c == '\r' && i + 1 < e.value.size() && e.value[i + 1] == '\n') {
        out += "\\\n";
      }
    }
    out += "\"\n";
  }
  return out;
}

void CheckRegistration(const AgentConfig& config) {
  HostFacts host;
  host.cpus = 4;
  host.memory_mib = 16000;
  host.machine = "x86_64";
  RegistrationInput input;
  input.cgroup_enforcement = true;
  absl::StatusOr<RegisterRequest> request = BuildRegisterRequest(config, host, input);
  if (!request.ok()) {
    CHECK(request.status().code() == absl::StatusCode::kInvalidArgument) << request.status();
    CHECK(config.reserved_memory_mib > host.memory_mib) << request.status();
    return;
  }
  absl::StatusOr<boost::json::value> json = berth::ecs::ParseJson(request->ToJsonText());
  CHECK(json.ok()) << json.status();
  for (const boost::json::value& r : json->at("totalResources").as_array()) {
    CHECK(berth::ecs::ResourceFromJson(r, "r").ok());
  }
  for (const boost::json::value& a : json->at("attributes").as_array()) {
    absl::StatusOr<berth::ecs::Attribute> attribute = berth::ecs::AttributeFromJson(a, "a");
    CHECK(attribute.ok());
    CHECK(IsValidAttributeName(attribute->name)) << attribute->name;
    if (attribute->value.has_value()) {
      CHECK(IsValidAttributeValue(*attribute->value)) << *attribute->value;
    }
  }
  for (const berth::ecs::Tag& tag : request->tags) {
    CHECK(CheckTag(tag.key, tag.value).ok()) << tag.key;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<IniFile> ini = ParseIni(text);
  if (!ini.ok()) {
    CHECK(ini.status().code() == absl::StatusCode::kInvalidArgument) << ini.status();
    CHECK(StartsWith(berth::Std(ini.status().message()), "invalid line ")) << ini.status();
  }

  absl::StatusOr<std::vector<EnvFileEntry>> entries = ParseEnvFile(text);
  if (!entries.ok()) {
    CHECK(entries.status().code() == absl::StatusCode::kInvalidArgument) << entries.status();
    CHECK(StartsWith(berth::Std(entries.status().message()), "invalid config line ")) << entries.status();
    return 0;
  }
  std::string requoted = Requote(*entries);
  absl::StatusOr<std::vector<EnvFileEntry>> again = ParseEnvFile(requoted);
  CHECK(again.ok()) << again.status() << " for " << requoted;
  CHECK(again->size() == entries->size()) << requoted;
  for (size_t i = 0; i < entries->size(); ++i) {
    CHECK((*again)[i].key == (*entries)[i].key && (*again)[i].value == (*entries)[i].value)
        << requoted;
  }

  EnvMap variables = ToEnvMap(*entries);
  absl::StatusOr<AgentConfig> from_file = ConfigFromVariables(variables, {});
  absl::StatusOr<AgentConfig> from_env = ConfigFromVariables({}, variables);
  CHECK(from_file.ok() == from_env.ok()) << from_file.status() << " vs " << from_env.status();
  if (!from_file.ok()) {
    CHECK(from_file.status().code() == absl::StatusCode::kInvalidArgument) << from_file.status();
    CHECK(StartsWith(berth::Std(from_file.status().message()), "invalid ")) << from_file.status();
    CHECK(from_file.status().message() == from_env.status().message());
    return 0;
  }
  CHECK(Summary(*from_file).substr(0, 8) == "cluster=");
  CheckRegistration(*from_file);
  return 0;
}
