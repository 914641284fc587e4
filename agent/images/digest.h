#ifndef BERTH_AGENT_IMAGES_DIGEST_H_
#define BERTH_AGENT_IMAGES_DIGEST_H_

// Content digests ("sha256:<64 lowercase hex>") and SHA-256 through OpenSSL's
// EVP interface. Only sha256 is accepted: it is what every OCI and Docker
// schema 2 image uses, and the only algorithm the store names paths by.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::images {

// A validated "sha256:<hex>" digest.
class Digest {
 public:
  Digest() = default;  // empty: not a digest; only for default-constructed holders
  // InvalidArgument unless `text` is "sha256:" + 64 lowercase hex digits.
  static absl::StatusOr<Digest> Parse(std::string_view text);
  // From 32 raw bytes.
  static Digest FromBytes(const unsigned char bytes[32]);

  const std::string& str() const { return text_; }       // "sha256:ab12..."
  std::string hex() const { return text_.size() > 7 ? text_.substr(7) : std::string(); }

  bool operator==(const Digest& o) const { return text_ == o.text_; }
  bool operator!=(const Digest& o) const { return text_ != o.text_; }
  bool operator<(const Digest& o) const { return text_ < o.text_; }
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.text_);
  }

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  Digest Finish();  // once
  uint64_t bytes() const { return bytes_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t bytes_ = 0;
};

Digest Sha256Of(std::string_view data);

// OK when `data` has digest `want` (and `want_size` bytes, unless < 0);
// otherwise DataLoss "failed to verify <what>: digest mismatch ...".
absl::Status VerifyBytes(std::string_view data, const Digest& want, int64_t want_size,
                         std::string_view what);

// Hashes the file open at `fd` from offset 0 (pread, so the fd's offset is
// untouched) and checks it like VerifyBytes. Blocking: call on a worker.
absl::Status VerifyFile(int fd, const Digest& want, int64_t want_size, std::string_view what);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_DIGEST_H_
