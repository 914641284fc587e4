#ifndef BERTH_ECS_PORT_MAPPING_H_
#define BERTH_ECS_PORT_MAPPING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::ecs {

// ECS `TransportProtocol`. tcp host ports are the instance's PORTS resource,
// udp ones its PORTS_UDP resource.
enum class TransportProtocol { kTcp, kUdp };

std::string_view ToString(TransportProtocol protocol);
std::optional<TransportProtocol> ParseTransportProtocol(std::string_view text);
inline constexpr std::string_view kTransportProtocolValues = "tcp, udp";

// ECS `PortMapping` in a container definition. In bridge mode a hostPort of
// 0 or none asks for a dynamic port (not a placement resource); in host mode
// the host port is the container port.
struct PortMapping {
  std::optional<int32_t> container_port;        // "containerPort"
  std::optional<int32_t> host_port;             // "hostPort"
  std::optional<TransportProtocol> protocol;    // "protocol"; tcp when absent
  std::optional<std::string> name;              // "name"
  std::optional<std::string> app_protocol;      // "appProtocol": http, http2, grpc

  friend bool operator==(const PortMapping&, const PortMapping&) = default;

  TransportProtocol EffectiveProtocol() const {
    return protocol.value_or(TransportProtocol::kTcp);
  }
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_PORT_MAPPING_H_
