#include "agent/engine/names.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::agent {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// `n` random lowercase hex digits.
std::string RandomHex(io::Rng& rng, size_t n) {
  std::string out;
  out.reserve(n);
  uint64_t bits = 0;
  int left = 0;
  for (size_t i = 0; i < n; ++i) {
    if (left == 0) {
      bits = rng.Next();
      left = 16;
    }
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
    --left;
  }
  return out;
}

}  // namespace

std::string NewRuntimeId(io::Rng& rng) { return RandomHex(rng, 64); }

std::string NewRuntimeName(std::string_view family, int revision, std::string_view container,
                           io::Rng& rng) {
  return absl::StrCat("ecs-", Absl(family), "-", revision, "-", Absl(container), "-",
                      RandomHex(rng, 20));
}

std::string NewUuidV4(io::Rng& rng) {
  std::string hex = RandomHex(rng, 32);
  hex[12] = '4';                             // version 4
  const char c = hex[16];
  const int value = c <= '9' ? c - '0' : c - 'a' + 10;
  hex[16] = kHex[8 | (value & 3)];  // variant 10xx: one of 8, 9, a, b
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

}  // namespace berth::agent
