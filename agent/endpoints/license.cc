#include "agent/endpoints/license.h"

namespace berth::agent::endpoints {

std::string_view LicenseText() {
  return R"(berth-agent, the node agent of berth (a self-hosted container orchestrator
that speaks the Amazon ECS API).

berth's own license has not been chosen yet: the source tree carries no
LICENSE file. Until it does, no license to berth's own code is granted by
this notice.

berth-agent links these libraries, as Debian 12 packages them; each one's
full license text is in /usr/share/doc/<package>/copyright:

  Abseil (libabsl20220623)          Apache-2.0
  Boost.JSON (libboost-json1.81.0)  BSL-1.0
  liburing (liburing2)              MIT
  libcurl (libcurl4)                curl
  OpenSSL libcrypto (libssl3)       Apache-2.0
  libarchive (libarchive13)         BSD-2-Clause
  libbpf (libbpf1)                  LGPL-2.1 OR BSD-2-Clause

berth is not affiliated with Amazon Web Services. "Amazon ECS" names the API
it implements.
)";
}

}  // namespace berth::agent::endpoints
