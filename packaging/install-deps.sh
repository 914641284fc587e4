#!/usr/bin/env bash
# Install every build, test and runtime dependency of berth by its Debian 12
# package name. Idempotent: when everything is present it only runs dpkg-query
# and exits in well under a second. Needs root (or sudo) when something is
# missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang llvm lld
  libclang-rt-14-dev
  # libraries
  libbpf-dev liburing-dev libboost1.81-dev libboost-json1.81-dev
  libcurl4-openssl-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libarchive-dev libssl-dev libre2-dev zlib1g-dev libzstd-dev
  libelf-dev
  # BPF tooling
  bpftool
  # VM tier: TCG qemu, Debian's kernel, busybox for the initramfs
  qemu-system-x86 linux-image-amd64 busybox-static cpio kmod xz-utils
  # compat / system tiers and images
  awscli python3 python3-boto3 docker-registry skopeo umoci
  python3-cryptography python3-jwt python3-bcrypt
  # benchmarks and tools the tests drive
  wrk nginx-light iproute2 procps curl
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
SUDO=
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Services (nginx, docker-registry) must not start on install: tests start
# their own copies on loopback with generated configs.
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy_rc ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy_rc" >/dev/null
  $SUDO chmod +x "$policy_rc"
  created_policy=1
fi
cleanup() { if ((created_policy)); then $SUDO rm -f "$policy_rc"; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
