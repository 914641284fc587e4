#include "io/socket.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::io {

absl::StatusOr<SocketAddress> SocketAddress::Parse(std::string_view host_port) {
  std::string_view host;
  std::string_view port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos || close + 1 >= host_port.size() ||
        host_port[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid address '", Absl(host_port), "': expected [ipv6]:port"));
    }
    host = host_port.substr(1, close - 1);
    port_text = host_port.substr(close + 2);
  } else {
    size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid address '", Absl(host_port), "': expected host:port"));
    }
    host = host_port.substr(0, colon);
    port_text = host_port.substr(colon + 1);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(Absl(port_text), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", Absl(host_port), "': bad port '", Absl(port_text), "'"));
  }
  SocketAddress out;
  std::string host_str(host);
  if (host_str.empty() || host_str == "localhost") {
    host_str = "127.0.0.1";
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET, host_str.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host_str.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid address '", Absl(host_port), "': '", host_str, "' is not a numeric IP address"));
  }
  return out;
}

SocketAddress SocketAddress::Loopback4(uint16_t port) {
  SocketAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(port);
  v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  out.len = sizeof(sockaddr_in);
  return out;
}

uint16_t SocketAddress::port() const {
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

std::string SocketAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (storage.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
              sizeof(buf));
    return absl::StrCat("[", buf, "]:", port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof(buf));
  return absl::StrCat(buf, ":", port());
}

absl::StatusOr<UniqueFd> TcpSocket(const SocketAddress& addr) {
  int fd = socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return ErrnoStatus(errno, "create TCP socket");
  }
  return UniqueFd(fd);
}

absl::StatusOr<UniqueFd> ListenTcp(const SocketAddress& addr, int backlog) {
  ASSIGN_OR_RETURN(UniqueFd fd, TcpSocket(addr));
  int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
    return ErrnoStatus(errno, "set SO_REUSEADDR");
  }
  if (bind(fd.get(), addr.get(), addr.len) < 0) {
    return ErrnoStatus(errno, absl::StrCat("bind ", addr.ToString()));
  }
  if (listen(fd.get(), backlog) < 0) {
    return ErrnoStatus(errno, absl::StrCat("listen on ", addr.ToString()));
  }
  return fd;
}

absl::StatusOr<SocketAddress> LocalAddress(int fd) {
  SocketAddress out;
  out.len = sizeof(out.storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&out.storage), &out.len) < 0) {
    return ErrnoStatus(errno, "get socket name");
  }
  return out;
}

}  // namespace berth::io
