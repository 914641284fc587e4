#include "agent/config/credentials.h"

#include <cerrno>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/config/ini_file.h"
#include "agent/config/small_file.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::agent::config {
namespace {

std::string Get(const EnvMap& variables, std::string_view name) {
  auto it = variables.find(name);
  return it == variables.end() ? std::string() : it->second;
}

// "~/x" → "$HOME/x", as botocore's os.path.expanduser; "" when HOME is unset.
std::string ExpandHome(const EnvMap& variables, std::string_view path) {
  if (path == "~" || path.substr(0, 2) == "~/") {
    std::string home = Get(variables, "HOME");
    if (home.empty()) {
      return "";
    }
    return absl::StrCat(home, Absl(path.substr(1)));
  }
  return std::string(path);
}

// The parsed file, std::nullopt when it does not exist.
absl::StatusOr<std::optional<IniFile>> ReadIni(const std::string& path) {
  absl::StatusOr<std::string> text =
      ReadSmallFile(path, absl::StrCat("AWS credentials file ", path));
  if (!text.ok()) {
    int err = ErrnoOf(text.status());
    if (err == ENOENT || err == ENOTDIR) {
      return std::optional<IniFile>();
    }
    return text.status();
  }
  absl::StatusOr<IniFile> ini = ParseIni(*text);
  if (!ini.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("failed to read AWS credentials file ", path,
                                                   ": ", ini.status().message()));
  }
  return std::optional<IniFile>(*std::move(ini));
}

// Credentials from one section; std::nullopt when it has no access key.
absl::StatusOr<std::optional<AwsCredentials>> FromSection(
    const std::map<std::string, std::string>& section, const std::string& source) {
  auto value = [&section](std::string_view key) {
    auto it = section.find(std::string(key));
    return it == section.end() ? std::string() : it->second;
  };
  AwsCredentials c;
  c.access_key_id = value("aws_access_key_id");
  if (c.access_key_id.empty()) {
    return std::optional<AwsCredentials>();
  }
  c.secret_access_key = value("aws_secret_access_key");
  if (c.secret_access_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "failed to load AWS credentials: ", source,
        " has aws_access_key_id but no aws_secret_access_key"));
  }
  c.session_token = value("aws_session_token");
  if (c.session_token.empty()) {
    c.session_token = value("aws_security_token");
  }
  c.source = source;
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace

absl::StatusOr<AwsCredentials> LoadAwsCredentials(const EnvMap& variables) {
  // 1. The environment (botocore's EnvProvider: the key id decides).
  AwsCredentials env;
  env.access_key_id = Get(variables, "AWS_ACCESS_KEY_ID");
  if (!env.access_key_id.empty()) {
    env.secret_access_key = Get(variables, "AWS_SECRET_ACCESS_KEY");
    if (env.secret_access_key.empty()) {
      return absl::InvalidArgumentError(
          "failed to load AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
          "is not");
    }
    env.session_token = Get(variables, "AWS_SESSION_TOKEN");
    if (env.session_token.empty()) {
      env.session_token = Get(variables, "AWS_SECURITY_TOKEN");
    }
    env.source = "environment";
    return env;
  }

  std::string profile = Get(variables, "AWS_PROFILE");
  bool profile_named = !profile.empty();
  if (profile.empty()) {
    profile = Get(variables, "AWS_DEFAULT_PROFILE");
    profile_named = !profile.empty();
  }
  if (profile.empty()) {
    profile = "default";
  }
  std::string credentials_path = Get(variables, "AWS_SHARED_CREDENTIALS_FILE");
  credentials_path = ExpandHome(variables, credentials_path.empty() ? "~/.aws/credentials"
                                                                    : credentials_path);
  std::string config_path = Get(variables, "AWS_CONFIG_FILE");
  config_path = ExpandHome(variables, config_path.empty() ? "~/.aws/config" : config_path);

  // 2. The shared credentials file: [<profile>]. 3. The config file:
  // [profile <profile>], or [default].
  struct File {
    const std::string& path;
    std::vector<std::string> sections;
  };
  std::vector<std::string> config_sections = {absl::StrCat("profile ", profile)};
  if (profile == "default") {
    config_sections.push_back(profile);
  }
  bool profile_seen = false;
  for (const File& file : {File{credentials_path, {profile}}, File{config_path, config_sections}}) {
    if (file.path.empty()) {
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<IniFile> ini, ReadIni(file.path));
    if (!ini.has_value()) {
      continue;
    }
    for (const std::string& name : file.sections) {
      auto it = ini->sections.find(name);
      if (it == ini->sections.end()) {
        continue;
      }
      profile_seen = true;
      ASSIGN_OR_RETURN(std::optional<AwsCredentials> c,
                       FromSection(it->second, absl::StrCat(file.path, " [", name, "]")));
      if (c.has_value()) {
        return *std::move(c);
      }
    }
  }
  if (profile_named && !profile_seen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "failed to load AWS credentials: the profile '", profile, "' is in neither ",
        credentials_path.empty() ? "~/.aws/credentials (HOME is not set)" : credentials_path,
        " nor ", config_path.empty() ? "~/.aws/config" : config_path));
  }
  return absl::NotFoundError(absl::StrCat(
      "failed to find AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in the "
      "environment or the agent's config file), or put aws_access_key_id and "
      "aws_secret_access_key under [",
      profile, "] in ",
      credentials_path.empty() ? "~/.aws/credentials (HOME is not set)" : credentials_path));
}

}  // namespace berth::agent::config
