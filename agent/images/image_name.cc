#include "agent/images/image_name.h"

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::images {

namespace {

constexpr std::string_view kOciPrefix = "oci:";

bool IsTagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

absl::Status Invalid(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid image name \"", Absl(name), "\": ", Absl(why)));
}

}  // namespace

std::string ImageName::ToString() const {
  if (tag.empty()) {
    return absl::StrCat("oci:", layout_path);
  }
  return absl::StrCat("oci:", layout_path, ":", tag);
}

absl::StatusOr<ImageName> ParseImageName(std::string_view name) {
  if (name.substr(0, kOciPrefix.size()) != kOciPrefix) {
    return absl::UnimplementedError(absl::StrCat(
        "failed to pull image \"", Absl(name),
        "\": pulling from registries is not supported yet (issue 6); use a local OCI image "
        "layout named oci:<absolute path>:<tag>"));
  }
  std::string_view rest = name.substr(kOciPrefix.size());
  ImageName out;
  size_t colon = rest.find(':');
  std::string_view path = rest.substr(0, colon);
  std::string_view tag = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  if (path.empty() || path[0] != '/') {
    return Invalid(name, "the layout path must be absolute");
  }
  if (path.find('\0') != std::string_view::npos) {
    return Invalid(name, "the layout path contains a NUL byte");
  }
  // Reject ".." components: the agent resolves the path as given, and a
  // path that climbs is almost certainly a mistake.
  for (size_t i = 0; i <= path.size();) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (path.substr(i, end - i) == "..") {
      return Invalid(name, "the layout path must not contain '..'");
    }
    i = end + 1;
  }
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  for (char c : tag) {
    if (!IsTagChar(c)) {
      return Invalid(name, "the tag may only contain letters, digits, '.', '_' and '-'");
    }
  }
  out.layout_path = std::string(path);
  out.tag = std::string(tag);
  return out;
}

}  // namespace berth::images
