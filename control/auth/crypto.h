#ifndef BERTH_CONTROL_AUTH_CRYPTO_H_
#define BERTH_CONTROL_AUTH_CRYPTO_H_

// SHA-256 and HMAC-SHA256 from OpenSSL's libcrypto, and the hex and
// comparison helpers SigV4 needs. The only file that includes OpenSSL.

#include <string>
#include <string_view>

namespace berth::control::auth {

// The 32-byte SHA-256 digest of `data`.
std::string Sha256(std::string_view data);
// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// Equality in time independent of where the inputs differ (for signatures).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace berth::control::auth

#endif  // BERTH_CONTROL_AUTH_CRYPTO_H_
