#ifndef BERTH_CGROUPS_CONTROLLERS_H_
#define BERTH_CGROUPS_CONTROLLERS_H_

// The cgroup v2 controllers berth uses, as a small set. Text forms are the
// kernel's: "cpu memory pids io" in cgroup.controllers, "+cpu +memory" in
// cgroup.subtree_control.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace berth::cgroups {

enum class Controller : uint8_t { kCpu = 0, kMemory = 1, kPids = 2, kIo = 3 };

std::string_view ToString(Controller c);  // "cpu", "memory", "pids", "io"

class ControllerSet {
 public:
  constexpr ControllerSet() = default;
  constexpr ControllerSet(std::initializer_list<Controller> cs) {
    for (Controller c : cs) {
      bits_ |= Bit(c);
    }
  }

  // Every controller berth enables for its children: cpu memory pids io.
  static constexpr ControllerSet All() {
    return {Controller::kCpu, Controller::kMemory, Controller::kPids, Controller::kIo};
  }
  // The controllers named in a cgroup.controllers or cgroup.subtree_control
  // text (space separated); names berth does not use (hugetlb, cpuset, ...)
  // are ignored.
  static ControllerSet Parse(std::string_view text);

  constexpr bool Has(Controller c) const { return (bits_ & Bit(c)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr void Add(Controller c) { bits_ |= Bit(c); }
  constexpr ControllerSet Intersect(ControllerSet o) const { return FromBits(bits_ & o.bits_); }
  constexpr ControllerSet Minus(ControllerSet o) const { return FromBits(bits_ & ~o.bits_); }
  constexpr bool Contains(ControllerSet o) const { return (bits_ & o.bits_) == o.bits_; }

  // "cpu memory" (kernel order: cpu memory pids io); "" when empty.
  std::string ToString() const;
  // "+cpu +memory", what cgroup.subtree_control takes; "" when empty.
  std::string EnableCommand() const;

  friend constexpr bool operator==(ControllerSet, ControllerSet) = default;

 private:
  static constexpr uint8_t Bit(Controller c) { return uint8_t(1u << static_cast<uint8_t>(c)); }
  static constexpr ControllerSet FromBits(unsigned bits) {
    ControllerSet s;
    s.bits_ = static_cast<uint8_t>(bits);
    return s;
  }
  uint8_t bits_ = 0;
};

}  // namespace berth::cgroups

#endif  // BERTH_CGROUPS_CONTROLLERS_H_
