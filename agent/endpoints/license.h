#ifndef BERTH_AGENT_ENDPOINTS_LICENSE_H_
#define BERTH_AGENT_ENDPOINTS_LICENSE_H_

// What GET /license answers (text/plain). The Amazon agent concatenates its
// LICENSE, NOTICE and THIRD-PARTY files; berth has no LICENSE file yet, so
// this is a short notice naming the project and the licenses of the
// libraries berth-agent links, with where Debian keeps their full texts.

#include <string_view>

namespace berth::agent::endpoints {

std::string_view LicenseText();

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_LICENSE_H_
