#include "agent/images/registry_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"

namespace berth::images {

namespace {

// The media type of a fetched document: the registry's Content-Type when it
// is one of ours, else the document's own mediaType member.
std::string DocumentType(const FetchedManifest& m) {
  if (IsIndexMediaType(m.media_type) || IsManifestMediaType(m.media_type)) {
    return m.media_type;
  }
  boost::system::error_code ec;
  boost::json::value doc =
      boost::json::parse(boost::json::string_view(m.bytes.data(), m.bytes.size()), ec);
  if (!ec && doc.is_object()) {
    if (const boost::json::value* t = doc.as_object().if_contains("mediaType");
        t != nullptr && t->is_string()) {
      return std::string(t->as_string());
    }
    // An OCI index without mediaType still has "manifests".
    if (doc.as_object().contains("manifests")) {
      return std::string(media_type::kOciIndex);
    }
  }
  return m.media_type;
}

absl::Status Prefixed(const absl::Status& s, const ImageName& name) {
  return absl::Status(s.code(),
                      absl::StrCat("failed to pull ", name.ToString(), ": ", s.message()));
}

}  // namespace

RegistrySource::RegistrySource(RegistryClient& client, std::string arch)
    : client_(client), arch_(std::move(arch)) {}

void RegistrySource::Resolve(const ImageName& name,
                             absl::AnyInvocable<void(absl::StatusOr<ResolvedManifest>)> done) {
  client_.GetManifest(
      name, name.ManifestReference(),
      [this, name, done = std::move(done)](absl::StatusOr<FetchedManifest> top) mutable {
        if (!top.ok()) {
          done(Prefixed(top.status(), name));
          return;
        }
        std::string type = DocumentType(*top);
        auto finish = [name](Digest reference,
                             FetchedManifest m) -> absl::StatusOr<ResolvedManifest> {
          absl::StatusOr<Manifest> manifest = ParseManifest(m.bytes);
          if (!manifest.ok()) {
            return Prefixed(manifest.status(), name);
          }
          ResolvedManifest r;
          r.digest = std::move(m.digest);
          r.bytes = std::move(m.bytes);
          r.manifest = *std::move(manifest);
          r.reference_digest = std::move(reference);
          return r;
        };
        if (IsManifestMediaType(type)) {
          Digest reference = top->digest;
          done(finish(std::move(reference), *std::move(top)));
          return;
        }
        if (!IsIndexMediaType(type)) {
          done(Prefixed(absl::InvalidArgumentError(
                            absl::StrCat("the registry served a document of media type \"", type,
                                         "\", not an image manifest or index")),
                        name));
          return;
        }
        absl::StatusOr<Index> index = ParseIndex(top->bytes);
        if (!index.ok()) {
          done(Prefixed(index.status(), name));
          return;
        }
        absl::StatusOr<Descriptor> pick = SelectPlatform(*index, arch_, "");
        if (!pick.ok()) {
          done(Prefixed(pick.status(), name));
          return;
        }
        if (!IsManifestMediaType(pick->media_type)) {
          done(Prefixed(absl::InvalidArgumentError(absl::StrCat(
                            "the index's entry for linux/", arch_, " is of media type \"",
                            pick->media_type, "\", not an image manifest")),
                        name));
          return;
        }
        Digest reference = top->digest;
        client_.GetManifest(name, pick->digest.str(),
                            [name, reference = std::move(reference), finish,
                             done = std::move(done)](absl::StatusOr<FetchedManifest> m) mutable {
                              if (!m.ok()) {
                                done(Prefixed(m.status(), name));
                                return;
                              }
                              done(finish(std::move(reference), *std::move(m)));
                            });
      });
}

void RegistrySource::Check(const ImageName& name,
                           absl::AnyInvocable<void(absl::StatusOr<std::optional<Digest>>)> done) {
  if (name.digest.has_value()) {
    done(std::optional<Digest>(*name.digest));
    return;
  }
  client_.HeadManifest(
      name, name.ManifestReference(),
      [name, done = std::move(done)](absl::StatusOr<std::optional<Digest>> digest) mutable {
        if (!digest.ok()) {
          done(Prefixed(digest.status(), name));
          return;
        }
        done(*std::move(digest));
      });
}

void RegistrySource::Fetch(const ImageName& name, const Descriptor& blob, int out_fd,
                           absl::AnyInvocable<void(absl::Status)> done) {
  client_.FetchBlob(name, blob, out_fd, [name, done = std::move(done)](absl::Status s) mutable {
    done(s.ok() ? s : Prefixed(s, name));
  });
}

}  // namespace berth::images
