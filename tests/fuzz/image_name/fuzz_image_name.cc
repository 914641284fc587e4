// Fuzzes ParseImageName (agent/images/image_name.h) with every input:
// - a refusal is InvalidArgument "invalid image name \"<input>\": <reason>";
// - an accepted name's canonical form (ToString) is at most kMaxCanonical
//   bytes (an oci: name: no longer than the input), parses again to the same fields and is a fixed
//   point;
// - a registry name has a domain that is a host[:port], a repository that
//   is path components, a tag or a digest, and ApiHost / ManifestReference
//   follow from its fields;
// - for inputs up to kMaxOracleInput bytes, a registry name is accepted
//   exactly when an oracle built from Docker's own regular expressions
//   (distribution/reference regexp.go, normalize.go: ParseNormalizedNamed)
//   accepts it, less berth's two refusals (a digest other than sha256, a
//   registry that is no host), and with the same domain, repository, tag
//   and digest.
// The seeds in corpus/ are names from task definitions and the unit tests.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "agent/images/image_name.h"
#include "io/log.h"

namespace {

using berth::images::ImageName;
using berth::images::ParseImageName;

// <domain>/<repository> (255) ":" <tag> (128) "@sha256:" <64 hex>.
constexpr size_t kMaxCanonical = 255 + 1 + 128 + 1 + 71;
// std::regex backtracks recursively: keep its inputs short.
constexpr size_t kMaxOracleInput = 300;

// Docker's grammar, as regexp.go composes it (ECMAScript and RE2 agree on
// these: no backreferences, leftmost-first alternation).
const std::string kPathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const std::string kRemoteName = kPathComponent + "(?:/" + kPathComponent + ")*";
const std::string kDomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const std::string kDomain = "(?:" + kDomainComponent + "(?:\\." + kDomainComponent +
                            ")*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?";
const std::string kTag = "[\\w][\\w.-]{0,127}";
const std::string kDigest =
    "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";

const std::regex& ReferenceRegex() {
  static const std::regex r("((?:" + kDomain + "/)?" + kRemoteName + ")(?::(" + kTag + "))?(?:@(" +
                            kDigest + "))?");
  return r;
}
const std::regex& NameRegex() {
  static const std::regex r("(?:(" + kDomain + ")/)?(" + kRemoteName + ")");
  return r;
}
const std::regex& DomainRegex() {
  static const std::regex r(kDomain);
  return r;
}
const std::regex& RemoteNameRegex() {
  static const std::regex r(kRemoteName);
  return r;
}
const std::regex& TagRegex() {
  static const std::regex r(kTag);
  return r;
}
const std::regex& Sha256Regex() {
  static const std::regex r("sha256:[0-9a-f]{64}");
  return r;
}
const std::regex& IdentifierRegex() {
  static const std::regex r("[a-f0-9]{64}");
  return r;
}

bool Matches(const std::string& s, const std::regex& r) { return std::regex_match(s, r); }

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

struct Fields {
  std::string domain;
  std::string repository;
  std::string tag;
  std::string digest;
};

Fields FieldsOf(const ImageName& n) {
  return {n.domain, n.repository, n.tag, n.digest.has_value() ? n.digest->str() : ""};
}

bool operator==(const Fields& a, const Fields& b) {
  return a.domain == b.domain && a.repository == b.repository && a.tag == b.tag &&
         a.digest == b.digest;
}

// ParseNormalizedNamed, written from normalize.go and reference.go, with the
// name length counted on "<domain>/<path>" and berth's two refusals.
std::optional<Fields> Oracle(const std::string& s) {
  if (Matches(s, IdentifierRegex())) {
    return std::nullopt;
  }
  std::string domain;
  std::string remote;
  size_t slash = s.find('/');
  if (slash == std::string::npos) {
    domain = "docker.io";
    remote = "library/" + s;
  } else {
    std::string first = s.substr(0, slash);
    if (first == "localhost" || first.find_first_of(".:") != std::string::npos ||
        Lower(first) != first) {
      domain = first == "index.docker.io" ? "docker.io" : first;
      remote = s.substr(slash + 1);
    } else {
      domain = "docker.io";
      remote = s;
    }
    if (domain == "docker.io" && remote.find('/') == std::string::npos) {
      remote = "library/" + remote;
    }
  }
  std::string before_colon = remote.substr(0, remote.find(':'));
  if (Lower(before_colon) != before_colon) {
    return std::nullopt;
  }
  std::string full = domain + "/" + remote;
  std::smatch m;
  if (!std::regex_match(full, m, ReferenceRegex())) {
    return std::nullopt;
  }
  std::string name = m[1].str();
  Fields out{"", "", m[2].str(), m[3].str()};
  std::smatch nm;
  CHECK(std::regex_match(name, nm, NameRegex())) << name;
  out.domain = nm[1].str();
  out.repository = nm[2].str();
  if (name.size() > 255) {
    return std::nullopt;
  }
  if (!out.digest.empty() && !Matches(out.digest, Sha256Regex())) {
    return std::nullopt;  // berth: sha256 only
  }
  if (out.domain.empty()) {
    return std::nullopt;  // berth: the first component was no host
  }
  if (out.tag.empty() && out.digest.empty()) {
    out.tag = "latest";
  }
  return out;
}

void CheckAccepted(std::string_view input, const ImageName& n) {
  std::string canonical = n.ToString();
  // A layout path has no bound of its own: the canonical form only drops.
  CHECK(canonical.size() <= (n.kind == ImageName::Kind::kRegistry ? kMaxCanonical : input.size()))
      << canonical.size();
  absl::StatusOr<ImageName> again = ParseImageName(canonical);
  CHECK(again.ok()) << again.status() << " for the canonical form of " << input;
  CHECK(again->kind == n.kind) << canonical;
  CHECK(again->layout_path == n.layout_path) << canonical;
  CHECK(FieldsOf(*again) == FieldsOf(n)) << canonical;
  CHECK(again->ToString() == canonical) << canonical;
  if (n.kind == ImageName::Kind::kOciLayout) {
    CHECK(n.domain.empty() && n.repository.empty() && !n.digest.has_value()) << input;
    CHECK(!n.layout_path.empty() && n.layout_path[0] == '/') << input;
    CHECK(n.ApiHost().empty()) << input;
    CHECK(n.ManifestReference() == n.tag) << input;
    return;
  }
  CHECK(n.layout_path.empty()) << input;
  CHECK(Matches(n.domain, DomainRegex())) << n.domain;
  CHECK(n.domain != "index.docker.io") << input;
  CHECK(Matches(n.repository, RemoteNameRegex())) << n.repository;
  CHECK(n.domain.size() + 1 + n.repository.size() <= 255) << input;
  CHECK(n.tag.empty() || Matches(n.tag, TagRegex())) << n.tag;
  CHECK(!n.tag.empty() || n.digest.has_value()) << input;
  if (n.domain == "docker.io") {
    CHECK(n.repository.find('/') != std::string::npos) << n.repository;
    CHECK(n.ApiHost() == "registry-1.docker.io");
  } else {
    CHECK(n.ApiHost() == n.domain);
  }
  CHECK(n.ManifestReference() == (n.digest.has_value() ? n.digest->str() : n.tag)) << input;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ImageName> n = ParseImageName(input);
  if (n.ok()) {
    CheckAccepted(input, *n);
  } else {
    CHECK(n.status().code() == absl::StatusCode::kInvalidArgument) << n.status();
    std::string prefix = "invalid image name \"" + input + "\": ";
    CHECK(n.status().message().substr(0, prefix.size()) == prefix) << n.status();
    CHECK(n.status().message().size() > prefix.size()) << n.status();
  }
  if (size > kMaxOracleInput || input.rfind("oci:", 0) == 0) {
    return 0;
  }
  std::optional<Fields> want = Oracle(input);
  CHECK(want.has_value() == n.ok())
      << "oracle " << (want.has_value() ? "accepts" : "refuses") << " \"" << input
      << "\"; ParseImageName: " << (n.ok() ? n->ToString() : n.status().ToString());
  if (want.has_value()) {
    CHECK(n->kind == ImageName::Kind::kRegistry) << input;
    CHECK(*want == FieldsOf(*n)) << input << " → " << n->ToString() << "; oracle: " << want->domain
                                 << " " << want->repository << " " << want->tag << " "
                                 << want->digest;
  }
  return 0;
}
