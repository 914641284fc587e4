#include "agent/images/oci_json.h"

#include <sys/utsname.h>

#include <algorithm>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::images {

namespace {

namespace json = boost::json;

absl::Status Bad(std::string_view doc, std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", Absl(doc), ": ", Absl(path), path.empty() ? "" : ": ", Absl(what)));
}

absl::StatusOr<json::value> Parse(std::string_view doc, std::string_view text) {
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec,
                              json::storage_ptr(), opts);
  if (ec) {
    return Bad(doc, "", absl::StrCat("not valid JSON: ", ec.message()));
  }
  if (!v.is_object()) {
    return Bad(doc, "", "expected a JSON object");
  }
  return v;
}

// Typed member access; absent and null members leave the output alone.
class Reader {
 public:
  Reader(std::string_view doc, const json::object& o, std::string path)
      : doc_(doc), o_(o), path_(std::move(path)) {}

  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", Absl(key));
  }

  const json::value* Find(std::string_view key) const {
    const json::value* v = o_.if_contains(json::string_view(key.data(), key.size()));
    return (v == nullptr || v->is_null()) ? nullptr : v;
  }

  // The member `key` when present and of the kind `is` tests; nullptr when
  // absent; `expected` words the error for another kind.
  absl::StatusOr<const json::value*> Typed(std::string_view key,
                                           bool (json::value::*is)() const noexcept,
                                           std::string_view expected) const {
    const json::value* v = Find(key);
    if (v != nullptr && !(v->*is)()) {
      return Bad(doc_, Path(key), expected);
    }
    return v;
  }

  absl::Status String(std::string_view key, std::string* out) const {
    ASSIGN_OR_RETURN(const json::value* v,
                     Typed(key, &json::value::is_string, "expected a string"));
    if (v != nullptr) {
      *out = std::string(v->get_string());
    }
    return absl::OkStatus();
  }

  absl::Status RequiredString(std::string_view key, std::string* out) const {
    if (Find(key) == nullptr) {
      return Bad(doc_, Path(key), "required");
    }
    return String(key, out);
  }

  absl::Status StringList(std::string_view key, std::vector<std::string>* out) const {
    ASSIGN_OR_RETURN(const json::value* v,
                     Typed(key, &json::value::is_array, "expected a list of strings"));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    std::vector<std::string> r;
    for (const json::value& e : v->get_array()) {
      if (!e.is_string()) {
        return Bad(doc_, Path(key), "expected a list of strings");
      }
      r.emplace_back(e.get_string());
    }
    *out = std::move(r);
    return absl::OkStatus();
  }

  absl::Status StringMap(std::string_view key, std::map<std::string, std::string>* out) const {
    ASSIGN_OR_RETURN(const json::value* v,
                     Typed(key, &json::value::is_object, "expected an object of strings"));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    for (const auto& kv : v->get_object()) {
      if (!kv.value().is_string()) {
        return Bad(doc_, absl::StrCat(Path(key), ".", std::string(kv.key())), "expected a string");
      }
      (*out)[std::string(kv.key())] = std::string(kv.value().get_string());
    }
    return absl::OkStatus();
  }

  // The keys of an object member ({"80/tcp": {}}).
  absl::Status Keys(std::string_view key, std::vector<std::string>* out) const {
    ASSIGN_OR_RETURN(const json::value* v,
                     Typed(key, &json::value::is_object, "expected an object"));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    for (const auto& kv : v->get_object()) {
      out->emplace_back(kv.key());
    }
    std::sort(out->begin(), out->end());
    return absl::OkStatus();
  }

  absl::Status Int64(std::string_view key, int64_t* out, bool required) const {
    const json::value* v = Find(key);
    if (v == nullptr) {
      return required ? Bad(doc_, Path(key), "required") : absl::OkStatus();
    }
    if (v->is_int64()) {
      *out = v->get_int64();
    } else if (v->is_uint64() && v->get_uint64() <= INT64_MAX) {
      *out = static_cast<int64_t>(v->get_uint64());
    } else {
      return Bad(doc_, Path(key), "expected an integer");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Reader> Object(std::string_view key) const {
    const json::value* v = Find(key);
    if (v == nullptr || !v->is_object()) {
      return Bad(doc_, Path(key), v == nullptr ? "required" : "expected an object");
    }
    return Reader(doc_, v->get_object(), Path(key));
  }

  // Calls fn(reader) for each object element of a list member.
  template <typename Fn>
  absl::Status Objects(std::string_view key, Fn fn) const {
    ASSIGN_OR_RETURN(const json::value* v, Typed(key, &json::value::is_array, "expected a list"));
    if (v == nullptr) {
      return absl::OkStatus();
    }
    const json::array& a = v->get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      std::string p = absl::StrCat(Path(key), "[", i, "]");
      if (!a[i].is_object()) {
        return Bad(doc_, p, "expected an object");
      }
      if (absl::Status s = fn(Reader(doc_, a[i].get_object(), p)); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  std::string_view doc() const { return doc_; }
  const std::string& path() const { return path_; }

 private:
  std::string_view doc_;
  const json::object& o_;
  std::string path_;
};

absl::StatusOr<Descriptor> ReadDescriptor(const Reader& r) {
  Descriptor d;
  RETURN_IF_ERROR(r.RequiredString("mediaType", &d.media_type));
  std::string digest;
  RETURN_IF_ERROR(r.RequiredString("digest", &digest));
  absl::StatusOr<Digest> parsed = Digest::Parse(digest);
  if (!parsed.ok()) {
    return Bad(r.doc(), r.Path("digest"), Std(parsed.status().message()));
  }
  d.digest = *std::move(parsed);
  RETURN_IF_ERROR(r.Int64("size", &d.size, /*required=*/true));
  if (d.size < 0) {
    return Bad(r.doc(), r.Path("size"), "must not be negative");
  }
  RETURN_IF_ERROR(r.StringMap("annotations", &d.annotations));
  if (r.Find("platform") != nullptr) {
    ASSIGN_OR_RETURN(Reader p, r.Object("platform"));
    Platform platform;
    RETURN_IF_ERROR(p.RequiredString("os", &platform.os));
    RETURN_IF_ERROR(p.RequiredString("architecture", &platform.architecture));
    RETURN_IF_ERROR(p.String("variant", &platform.variant));
    d.platform = std::move(platform);
  }
  return d;
}

// A parsed document and the Reader of its top-level object (which points
// into `value`: heap-held, so the pair moves safely).
struct Document {
  std::unique_ptr<const json::value> value;
  Reader top;
};

absl::StatusOr<Document> ReadDocument(std::string_view doc, std::string_view text) {
  absl::StatusOr<json::value> v = Parse(doc, text);
  if (!v.ok()) {
    return v.status();
  }
  auto value = std::make_unique<const json::value>(*std::move(v));
  const json::object& top = value->get_object();
  return Document{std::move(value), Reader(doc, top, "")};
}

// What image indexes and manifests start with: schemaVersion 2 (`on_1` is
// added to the error for version 1), and a mediaType that `accepts` takes; an
// absent one is `absent`, checked too unless empty.
absl::Status ReadHead(const Reader& r, std::string_view on_1, std::string_view absent,
                      bool (*accepts)(std::string_view), std::string* media_type) {
  int64_t schema = 0;
  RETURN_IF_ERROR(r.Int64("schemaVersion", &schema, /*required=*/true));
  if (schema != 2) {
    return Bad(r.doc(), "schemaVersion",
               absl::StrCat("expected 2, got ", schema, schema == 1 ? Absl(on_1) : ""));
  }
  RETURN_IF_ERROR(r.String("mediaType", media_type));
  if (media_type->empty()) {
    *media_type = std::string(absent);
  }
  if (!media_type->empty() && !accepts(*media_type)) {
    return Bad(r.doc(), "mediaType",
               absl::StrCat("not an ", Absl(r.doc()), ": \"", *media_type, "\""));
  }
  return absl::OkStatus();
}

// The required list of descriptors `key`; `check` may refuse one, given its
// element's Reader.
absl::Status ReadDescriptors(
    const Reader& r, std::string_view key, std::vector<Descriptor>* out,
    absl::FunctionRef<absl::Status(const Reader&, const Descriptor&)> check) {
  if (r.Find(key) == nullptr) {
    return Bad(r.doc(), key, "required");
  }
  return r.Objects(key, [&](const Reader& e) -> absl::Status {
    ASSIGN_OR_RETURN(Descriptor d, ReadDescriptor(e));
    RETURN_IF_ERROR(check(e, d));
    out->push_back(std::move(d));
    return absl::OkStatus();
  });
}

bool OneOf(std::string_view mt, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), mt) != list.end();
}

}  // namespace

bool IsIndexMediaType(std::string_view mt) {
  return OneOf(mt, {media_type::kOciIndex, media_type::kDockerManifestList});
}

bool IsManifestMediaType(std::string_view mt) {
  return OneOf(mt, {media_type::kOciManifest, media_type::kDockerManifest});
}

bool IsConfigMediaType(std::string_view mt) {
  return OneOf(mt, {media_type::kOciConfig, media_type::kDockerConfig});
}

bool IsLayerMediaType(std::string_view mt) {
  return OneOf(mt, {media_type::kOciLayer, media_type::kOciLayerGzip, media_type::kOciLayerZstd,
                    "application/vnd.oci.image.layer.nondistributable.v1.tar",
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                    media_type::kDockerLayerGzip,
                    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"});
}

absl::Status ParseOciLayoutFile(std::string_view text) {
  constexpr std::string_view kDoc = "oci-layout file";
  ASSIGN_OR_RETURN(Document d, ReadDocument(kDoc, text));
  const Reader& r = d.top;
  std::string version;
  RETURN_IF_ERROR(r.RequiredString("imageLayoutVersion", &version));
  if (version != "1.0.0" && version.substr(0, 2) != "1.") {
    return Bad(kDoc, "imageLayoutVersion",
               absl::StrCat("unsupported version \"", version, "\" (expected 1.x)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Index> ParseIndex(std::string_view text) {
  constexpr std::string_view kDoc = "image index";
  ASSIGN_OR_RETURN(Document d, ReadDocument(kDoc, text));
  Index index;
  RETURN_IF_ERROR(ReadHead(d.top, "", "", IsIndexMediaType, &index.media_type));
  RETURN_IF_ERROR(ReadDescriptors(d.top, "manifests", &index.manifests,
                                  [](const Reader&, const Descriptor&) {
                                    return absl::OkStatus();  // any manifest may be listed
                                  }));
  return index;
}

absl::StatusOr<Manifest> ParseManifest(std::string_view text) {
  constexpr std::string_view kDoc = "image manifest";
  ASSIGN_OR_RETURN(Document d, ReadDocument(kDoc, text));
  const Reader& r = d.top;
  Manifest m;
  RETURN_IF_ERROR(ReadHead(r, " (Docker schema 1 images are not supported)",
                           media_type::kOciManifest, IsManifestMediaType, &m.media_type));
  ASSIGN_OR_RETURN(Reader config, r.Object("config"));
  ASSIGN_OR_RETURN(m.config, ReadDescriptor(config));
  if (!IsConfigMediaType(m.config.media_type)) {
    return Bad(kDoc, "config.mediaType",
               absl::StrCat("not an image config: \"", m.config.media_type, "\""));
  }
  RETURN_IF_ERROR(ReadDescriptors(
      r, "layers", &m.layers, [&](const Reader& e, const Descriptor& layer) -> absl::Status {
        if (!IsLayerMediaType(layer.media_type)) {
          return Bad(kDoc, e.Path("mediaType"),
                     absl::StrCat("unsupported layer media type \"", layer.media_type, "\""));
        }
        return absl::OkStatus();
      }));
  return m;
}

absl::StatusOr<ConfigFile> ParseConfig(std::string_view text) {
  constexpr std::string_view kDoc = "image config";
  ASSIGN_OR_RETURN(Document d, ReadDocument(kDoc, text));
  const Reader& r = d.top;
  ConfigFile c;
  RETURN_IF_ERROR(r.String("os", &c.os));
  RETURN_IF_ERROR(r.String("architecture", &c.architecture));
  if (r.Find("config") != nullptr) {
    ASSIGN_OR_RETURN(Reader cr, r.Object("config"));
    ImageConfig& ic = c.config;
    RETURN_IF_ERROR(cr.StringList("Entrypoint", &ic.entrypoint));
    RETURN_IF_ERROR(cr.StringList("Cmd", &ic.cmd));
    RETURN_IF_ERROR(cr.StringList("Env", &ic.env));
    RETURN_IF_ERROR(cr.String("WorkingDir", &ic.working_dir));
    RETURN_IF_ERROR(cr.String("User", &ic.user));
    RETURN_IF_ERROR(cr.Keys("ExposedPorts", &ic.exposed_ports));
    RETURN_IF_ERROR(cr.String("StopSignal", &ic.stop_signal));
    RETURN_IF_ERROR(cr.StringMap("Labels", &ic.labels));
  }
  if (r.Find("rootfs") != nullptr) {
    ASSIGN_OR_RETURN(Reader rootfs, r.Object("rootfs"));
    std::vector<std::string> ids;
    RETURN_IF_ERROR(rootfs.StringList("diff_ids", &ids));
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::StatusOr<Digest> d = Digest::Parse(ids[i]);
      if (!d.ok()) {
        return Bad(kDoc, absl::StrCat("rootfs.diff_ids[", i, "]"), Std(d.status().message()));
      }
      c.diff_ids.push_back(*std::move(d));
    }
  }
  return c;
}

std::string HostArchitecture() {
  struct utsname u;
  if (uname(&u) != 0) {
    return "amd64";
  }
  std::string_view m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64" || m == "arm64") return "arm64";
  if (m.substr(0, 3) == "arm") return "arm";
  if (m == "i386" || m == "i686") return "386";
  if (m == "ppc64le") return "ppc64le";
  if (m == "s390x") return "s390x";
  if (m == "riscv64") return "riscv64";
  return std::string(m);
}

absl::StatusOr<Descriptor> SelectPlatform(const Index& index, std::string_view arch,
                                          std::string_view variant) {
  std::vector<std::string> seen;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform.has_value()) {
      continue;
    }
    const Platform& p = *d.platform;
    seen.push_back(p.variant.empty() ? absl::StrCat(p.os, "/", p.architecture)
                                     : absl::StrCat(p.os, "/", p.architecture, "/", p.variant));
    if (p.os == "linux" && p.architecture == arch &&
        (variant.empty() || p.variant.empty() || p.variant == variant)) {
      return d;
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "no image for linux/", Absl(arch), " in the image index (it has: ",
      seen.empty() ? std::string("no platforms") : absl::StrJoin(seen, ", "), ")"));
}

}  // namespace berth::images
