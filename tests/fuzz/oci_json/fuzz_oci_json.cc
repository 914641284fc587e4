// Fuzzes what a registry (or an OCI layout) hands the image store, all of it
// untrusted: image indexes and manifest lists, manifests, image configs, the
// oci-layout file, and a registry's error bodies. Every decoder must fail with
// InvalidArgument naming the document, or give a value that holds what the
// store relies on: every descriptor has a valid sha256 digest and a size of
// at least 0, SelectPlatform picks a linux entry of the asked architecture or
// says NotFound, and an error body's text stays bounded.
// The first byte picks the decoder; the seeds in corpus/ are real documents
// (umoci, skopeo, Docker Hub shapes) with that byte in front.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/images/oci_json.h"
#include "agent/images/registry_client.h"
#include "io/log.h"

namespace {

using namespace berth::images;  // NOLINT: a fuzz harness

void CheckDescriptor(const Descriptor& d) {
  CHECK(Digest::Parse(d.digest.str()).ok()) << d.digest.str();
  CHECK_GE(d.size, 0);
}

void CheckInvalid(const absl::Status& s) {
  CHECK(s.code() == absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      absl::StatusOr<Index> index = ParseIndex(text);
      if (!index.ok()) {
        CheckInvalid(index.status());
        break;
      }
      for (const Descriptor& d : index->manifests) {
        CheckDescriptor(d);
      }
      for (std::string_view arch : {"amd64", "arm64"}) {
        absl::StatusOr<Descriptor> pick = SelectPlatform(*index, arch, "");
        if (pick.ok()) {
          CHECK(pick->platform.has_value());
          CHECK_EQ(pick->platform->os, "linux");
          CHECK_EQ(pick->platform->architecture, arch);
        } else {
          CHECK(pick.status().code() == absl::StatusCode::kNotFound) << pick.status();
        }
      }
      break;
    }
    case 1: {
      absl::StatusOr<Manifest> m = ParseManifest(text);
      if (!m.ok()) {
        CheckInvalid(m.status());
        break;
      }
      CheckDescriptor(m->config);
      for (const Descriptor& l : m->layers) {
        CheckDescriptor(l);
        CHECK(IsLayerMediaType(l.media_type)) << l.media_type;
      }
      break;
    }
    case 2: {
      absl::StatusOr<ConfigFile> c = ParseConfig(text);
      if (!c.ok()) {
        CheckInvalid(c.status());
        break;
      }
      for (const Digest& d : c->diff_ids) {
        CHECK(Digest::Parse(d.str()).ok()) << d.str();
      }
      break;
    }
    case 3: {
      absl::Status s = ParseOciLayoutFile(text);
      if (!s.ok()) {
        CheckInvalid(s);
      }
      break;
    }
    case 4: {
      std::string error = RegistryErrorText(text);
      CHECK_LE(error.size(), 512u);
      break;
    }
  }
  return 0;
}
