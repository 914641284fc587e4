#ifndef BERTH_IO_ABSL_COMPAT_H_
#define BERTH_IO_ABSL_COMPAT_H_

// Debian 12's abseil (20220623) is built with ABSL_OPTION_USE_STD_STRING_VIEW
// = 0 (likewise optional, variant, any): absl::string_view is its own type
// and does not convert from std::string_view. berth's interfaces use the std
// types; this is the one conversion at abseil call sites
// (absl::StrCat(Absl(name)), absl::InvalidArgumentError(Absl(msg)), ...).

#include <string_view>

#include "absl/strings/string_view.h"

namespace berth {

inline absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view Std(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace berth

#endif  // BERTH_IO_ABSL_COMPAT_H_
