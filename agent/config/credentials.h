#ifndef BERTH_AGENT_CONFIG_CREDENTIALS_H_
#define BERTH_AGENT_CONFIG_CREDENTIALS_H_

// The AWS access key the agent signs its calls to berth-control with, found
// as botocore (the aws CLI) finds static keys:
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, or the
//      older AWS_SECURITY_TOKEN) — from the environment or ecs.config, since
//      the Amazon agent gets its environment from that file;
//   2. the shared credentials file, AWS_SHARED_CREDENTIALS_FILE or
//      $HOME/.aws/credentials, section [<profile>];
//   3. the config file, AWS_CONFIG_FILE or $HOME/.aws/config, section
//      [profile <profile>] (or [default]);
// with <profile> = AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
// A missing file is skipped; a malformed one is an error naming it. Keys
// never appear in messages.

#include <string>

#include "absl/status/statusor.h"
#include "agent/config/env_file.h"
#include "control/auth/sigv4.h"

namespace berth::agent::config {

struct AwsCredentials {
  std::string access_key_id = {};
  std::string secret_access_key = {};
  std::string session_token = {};  // "" when none; goes in X-Amz-Security-Token
  // Where they came from, for the start-up log: "environment" or
  // "/root/.aws/credentials [default]".
  std::string source = {};

  control::auth::SigningCredentials Signing() const {
    return {access_key_id, secret_access_key};
  }
};

// `variables` is the file layered under the environment
// (LayerEnvironment); HOME comes from it too. NotFound when no source has a
// key, naming where it looked; InvalidArgument for half a key pair, an
// AWS_PROFILE that no file has, or a file that does not parse.
absl::StatusOr<AwsCredentials> LoadAwsCredentials(const EnvMap& variables);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_CREDENTIALS_H_
