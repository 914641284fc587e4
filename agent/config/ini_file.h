#ifndef BERTH_AGENT_CONFIG_INI_FILE_H_
#define BERTH_AGENT_CONFIG_INI_FILE_H_

// The INI dialect of ~/.aws/credentials and ~/.aws/config, as botocore reads
// it (Python's configparser.RawConfigParser, strict):
//
//   # or ; starts a comment line       [section name]
//   key = value    or    key: value    (first '=' or ':' splits; blanks cut;
//                                       keys lowercased; no inline comments)
//   an indented line continues the value above it (botocore's nested
//   "s3 =" blocks), joined with '\n'.
//
// Errors, each naming the line: a key before any section, a line that is
// neither a section nor key=value, a section or a key given twice.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::agent::config {

struct IniFile {
  // section → key → value.
  std::map<std::string, std::map<std::string, std::string>, std::less<>> sections;
};

absl::StatusOr<IniFile> ParseIni(std::string_view text);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_INI_FILE_H_
