#ifndef BERTH_IO_SOCKET_H_
#define BERTH_IO_SOCKET_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "io/unique_fd.h"

namespace berth::io {

// A numeric IPv4 or IPv6 address with a port: "127.0.0.1:8080", "[::1]:80".
// No name resolution: listeners and test peers use literal addresses.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;

  static absl::StatusOr<SocketAddress> Parse(std::string_view host_port);
  static SocketAddress Loopback4(uint16_t port);
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  uint16_t port() const;
  std::string ToString() const;
};

// A non-blocking, close-on-exec TCP listener with SO_REUSEADDR.
absl::StatusOr<UniqueFd> ListenTcp(const SocketAddress& addr, int backlog);

// The address a socket is bound to (for port 0 listeners).
absl::StatusOr<SocketAddress> LocalAddress(int fd);

// A non-blocking, close-on-exec TCP socket for `addr`'s family, not connected.
absl::StatusOr<UniqueFd> TcpSocket(const SocketAddress& addr);

}  // namespace berth::io

#endif  // BERTH_IO_SOCKET_H_
