#ifndef BERTH_CONTROL_API_PAGING_H_
#define BERTH_CONTROL_API_PAGING_H_

// nextToken / maxResults for List* operations (reference §3.5).
//
// A token is opaque to clients: base64url of a version byte, the key of the
// last item returned, and the first 8 bytes of SHA-256 over the operation
// name and that key. The next page starts after that key in the listing's
// order, so items added or removed between calls neither repeat nor shift
// the rest. A token that does not decode, fails its checksum, or comes from
// another operation → InvalidParameterException.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "control/api/args.h"

namespace berth::control {

// maxResults range and default per operation, from the model's docs.
struct PageLimits {
  int32_t min = 1;
  int32_t max = 100;
  int32_t default_size = 100;
};
inline constexpr PageLimits kListPageLimits{1, 100, 100};            // ListClusters, ListTasks, ...
inline constexpr PageLimits kListServicesPageLimits{1, 100, 10};     // ListServices(ByNamespace)
inline constexpr PageLimits kAccountSettingsPageLimits{1, 10, 10};   // ListAccountSettings

struct PageRequest {
  std::string after;  // start after this key; "" = from the beginning
  bool has_token = false;
  int32_t max_results = 100;
};

// Reads `nextToken` and `maxResults` from the request.
absl::StatusOr<PageRequest> ReadPageRequest(const Args& args, std::string_view operation,
                                            PageLimits limits);

std::string EncodeNextToken(std::string_view operation, std::string_view last_key);
absl::StatusOr<std::string> DecodeNextToken(std::string_view operation, std::string_view token);

// RFC 4648 §5 base64url without padding (exposed for tests).
std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_PAGING_H_
