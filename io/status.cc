#include "io/status.h"

#include <string.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth {
namespace {
constexpr char kErrnoPayload[] = "berth.dev/errno";
}  // namespace

absl::Status ErrnoStatus(int err, std::string_view what) {
  const char* name = strerrorname_np(err);
  absl::Status status(absl::ErrnoToStatusCode(err),
                      absl::StrCat("failed to ", Absl(what), ": ", strerror(err), " [",
                                   name ? name : absl::StrCat("errno ", err), "]"));
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(err)));
  return status;
}

int ErrnoOf(const absl::Status& status) {
  auto p = status.GetPayload(kErrnoPayload);
  if (!p.has_value()) {
    return 0;
  }
  int err = 0;
  if (!absl::SimpleAtoi(std::string(*p), &err)) {
    return 0;
  }
  return err;
}

}  // namespace berth
