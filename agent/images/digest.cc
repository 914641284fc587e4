#include "agent/images/digest.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "agent/images/fs_util.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::images {

namespace {

constexpr std::string_view kPrefix = "sha256:";

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

absl::StatusOr<Digest> Digest::Parse(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    size_t colon = text.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported digest algorithm \"", Absl(text.substr(0, colon)),
                       "\" (only sha256 is supported)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", Absl(text), "\": expected sha256:<64 hex digits>"));
  }
  std::string_view hex = text.substr(kPrefix.size());
  bool ok = hex.size() == 64;
  for (char c : hex) {
    ok = ok && IsLowerHex(c);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", Absl(text), "\": expected sha256:<64 lowercase hex digits>"));
  }
  return Digest(std::string(text));
}

Digest Digest::FromBytes(const unsigned char bytes[32]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(kPrefix);
  for (int i = 0; i < 32; ++i) {
    text.push_back(kHex[bytes[i] >> 4]);
    text.push_back(kHex[bytes[i] & 0xf]);
  }
  return Digest(std::move(text));
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  CHECK(ctx_->md != nullptr);
  CHECK(EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) {
  CHECK(EVP_DigestUpdate(ctx_->md, data, size) == 1);
  bytes_ += size;
}

Digest Sha256::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  CHECK(EVP_DigestFinal_ex(ctx_->md, out, &len) == 1);
  CHECK_EQ(len, 32u);
  return Digest::FromBytes(out);
}

Digest Sha256Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

namespace {

absl::Status Check(const Digest& got, uint64_t got_size, const Digest& want, int64_t want_size,
                   std::string_view what) {
  if (want_size >= 0 && got_size != static_cast<uint64_t>(want_size)) {
    return absl::DataLossError(absl::StrCat("failed to verify ", Absl(what), ": size mismatch: ",
                                            "expected ", want_size, " bytes, got ", got_size));
  }
  if (got != want) {
    return absl::DataLossError(absl::StrCat("failed to verify ", Absl(what),
                                            ": digest mismatch: expected ", want.str(), ", got ",
                                            got.str()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyBytes(std::string_view data, const Digest& want, int64_t want_size,
                         std::string_view what) {
  return Check(Sha256Of(data), data.size(), want, want_size, what);
}

absl::Status VerifyFile(int fd, const Digest& want, int64_t want_size, std::string_view what) {
  Sha256 h;
  RETURN_IF_ERROR(ReadBlocks(fd, off_t{0}, what, [&](std::string_view block) {
    h.Update(block);
    return absl::OkStatus();
  }));
  uint64_t size = h.bytes();
  return Check(h.Finish(), size, want, want_size, what);
}

}  // namespace berth::images
