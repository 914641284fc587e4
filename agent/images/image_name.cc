#include "agent/images/image_name.h"

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::images {

namespace {

constexpr std::string_view kOciPrefix = "oci:";

// Docker's normalization (distribution/reference, normalize.go).
constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kDefaultApiHost = "registry-1.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr std::string_view kDefaultTag = "latest";
constexpr std::string_view kLocalhost = "localhost";
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;
constexpr std::string_view kInvalidFormat = "invalid reference format";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || IsUpper(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }  // Go's \w

bool IsTagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool HasUpper(std::string_view s) {
  for (char c : s) {
    if (IsUpper(c)) {
      return true;
    }
  }
  return false;
}

absl::Status Invalid(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid image name \"", Absl(name), "\": ", Absl(why)));
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*
// separator      := [._] | "__" | "-"+
bool IsPathComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) {
    return false;
  }
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < c.size() && !IsLowerAlnum(c[end])) {
      ++end;
    }
    std::string_view sep = c.substr(i, end - i);
    if (sep != "." && sep != "_" && sep != "__" &&
        sep.find_first_not_of('-') != std::string_view::npos) {
      return false;
    }
    i = end;
  }
  return true;
}

// path := path-component ("/" path-component)*
bool IsPath(std::string_view p) {
  size_t i = 0;
  while (true) {
    size_t end = p.find('/', i);
    if (!IsPathComponent(p.substr(i, end == std::string_view::npos ? end : end - i))) {
      return false;
    }
    if (end == std::string_view::npos) {
      return true;
    }
    i = end + 1;
  }
}

// domain-component := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
bool IsDomainComponent(std::string_view c) {
  if (c.empty() || !IsAlnum(c.front()) || !IsAlnum(c.back())) {
    return false;
  }
  for (char ch : c) {
    if (!IsAlnum(ch) && ch != '-') {
      return false;
    }
  }
  return true;
}

// domain := (domain-component ("." domain-component)* | "[" [A-Fa-f0-9:]+ "]") [":" [0-9]+]
bool IsDomain(std::string_view d) {
  std::string_view port;
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close == 1) {
      return false;
    }
    for (char c : d.substr(1, close - 1)) {
      if (!IsHex(c) && c != ':') {
        return false;
      }
    }
    port = d.substr(close + 1);
  } else {
    size_t colon = d.find(':');
    std::string_view host = d.substr(0, colon);
    port = colon == std::string_view::npos ? std::string_view() : d.substr(colon);
    size_t i = 0;
    while (true) {
      size_t dot = host.find('.', i);
      if (!IsDomainComponent(host.substr(i, dot == std::string_view::npos ? dot : dot - i))) {
        return false;
      }
      if (dot == std::string_view::npos) {
        break;
      }
      i = dot + 1;
    }
  }
  if (port.empty()) {
    return true;
  }
  if (port.size() < 2 || port.front() != ':') {
    return false;
  }
  for (char c : port.substr(1)) {
    if (!IsDigit(c)) {
      return false;
    }
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool IsTag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTagLength || !IsWordChar(t.front())) {
    return false;
  }
  for (char c : t) {
    if (!IsWordChar(c) && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// Docker refuses a name that could be an image id (ParseNormalizedNamed).
bool IsHexIdentifier(std::string_view s) {
  if (s.size() != 64) {
    return false;
  }
  for (char c : s) {
    if (!IsDigit(c) && !(c >= 'a' && c <= 'f')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<ImageName> ParseOciName(std::string_view name) {
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

// ParseNormalizedNamed, then Parse, of distribution/reference, with two
// refusals of our own: a digest other than sha256 (the store names blobs by
// sha256), and a first component that is taken for a registry but is no
// valid host ("a_b.c/d": Docker then keeps the whole as a path with an empty
// domain, which names no registry to pull from).
absl::StatusOr<ImageName> ParseRegistryName(std::string_view name) {
  if (IsHexIdentifier(name)) {
    return Invalid(name, absl::StrCat("invalid repository name (", Absl(name),
                                      "), cannot specify 64-byte hexadecimal strings"));
  }
  // splitDockerDomain: the part before the first '/' is the registry when it
  // looks like a host (a '.' or a ':', "localhost") or cannot be a Docker Hub
  // namespace (upper case).
  ImageName out;
  out.kind = ImageName::Kind::kRegistry;
  std::string_view rest = name;
  size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  if (slash != std::string_view::npos &&
      (first == kLocalhost || first.find_first_of(".:") != std::string_view::npos ||
       HasUpper(first))) {
    out.domain = first == kLegacyDefaultDomain ? kDefaultDomain : first;
    rest = name.substr(slash + 1);
  } else {
    out.domain = kDefaultDomain;
  }
  // Docker checks the case of the repository before the grammar, so that
  // "Busybox" gets a better word than "invalid reference format". It cuts
  // at the first ':'; cutting at '@' as well leaves a digest's algorithm to
  // the digest's own message (every algorithm but sha256 is refused anyway).
  if (HasUpper(rest.substr(0, rest.find_first_of(":@")))) {
    return Invalid(name, absl::StrCat(Absl(kInvalidFormat), ": repository name must be lowercase"));
  }
  // reference := path [":" tag] ["@" digest]. Neither a path nor a tag can
  // hold '@', and a path holds no ':' (the domain, which may, is cut off).
  size_t at = rest.find('@');
  std::string_view before = rest.substr(0, at);
  std::string_view path = before;
  size_t colon = before.rfind(':');
  if (colon != std::string_view::npos && before.find('/', colon) == std::string_view::npos) {
    path = before.substr(0, colon);
    std::string_view tag = before.substr(colon + 1);
    if (!IsTag(tag)) {
      return Invalid(name, kInvalidFormat);
    }
    out.tag = std::string(tag);
  }
  if (!IsPath(path)) {
    return Invalid(name, kInvalidFormat);
  }
  if (!IsDomain(out.domain)) {
    return Invalid(name, absl::StrCat(Absl(kInvalidFormat), ": \"", out.domain,
                                      "\" is taken for a registry but is not a valid host[:port]"));
  }
  if (out.domain == kDefaultDomain && path.find('/') == std::string_view::npos) {
    out.repository = absl::StrCat(Absl(kOfficialPrefix), Absl(path));
  } else {
    out.repository = std::string(path);
  }
  if (out.domain.size() + 1 + out.repository.size() > kMaxNameLength) {
    return Invalid(name, "repository name must not be more than 255 characters");
  }
  if (at != std::string_view::npos) {
    absl::StatusOr<Digest> digest = Digest::Parse(rest.substr(at + 1));
    if (!digest.ok()) {
      return Invalid(name, Std(digest.status().message()));
    }
    out.digest = *std::move(digest);
  } else if (out.tag.empty()) {
    out.tag = kDefaultTag;
  }
  return out;
}

}  // namespace

std::string ImageName::ToString() const {
  if (kind == Kind::kRegistry) {
    std::string out = absl::StrCat(domain, "/", repository);
    if (!tag.empty()) {
      absl::StrAppend(&out, ":", tag);
    }
    if (digest.has_value()) {
      absl::StrAppend(&out, "@", digest->str());
    }
    return out;
  }
  if (tag.empty()) {
    return absl::StrCat("oci:", layout_path);
  }
  return absl::StrCat("oci:", layout_path, ":", tag);
}

std::string ImageName::ApiHost() const {
  if (kind != Kind::kRegistry) {
    return "";
  }
  return domain == kDefaultDomain ? std::string(kDefaultApiHost) : domain;
}

std::string ImageName::ManifestReference() const {
  if (kind == Kind::kRegistry && digest.has_value()) {
    return digest->str();
  }
  return tag;
}

absl::StatusOr<ImageName> ParseImageName(std::string_view name) {
  if (name.substr(0, kOciPrefix.size()) == kOciPrefix) {
    return ParseOciName(name);
  }
  return ParseRegistryName(name);
}

}  // namespace berth::images
