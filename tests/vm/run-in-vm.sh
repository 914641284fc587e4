#!/usr/bin/env bash
# Run one command inside a throw-away qemu guest (TCG) that has every cgroup v2
# controller, and exit with the command's exit status. See tests/vm/README.md.
#
#   tests/vm/run-in-vm.sh [options] -- CMD [ARGS...]
#
# The guest boots Debian's kernel from /boot with a small cached initramfs
# (static busybox, the 9p/virtio modules, tests/vm/guest-init.sh), mounts the
# host's root read-only over 9p and runs CMD chrooted into it, so the build
# tree's binaries run unchanged at the same paths, in the same working
# directory. The command's stdout and stderr come back over the serial console
# and are printed here on stdout.
#
# Exit status: the command's, or
#   77   a prerequisite is missing (qemu, a kernel with its 9p/virtio
#        modules, static busybox); ctest reports this as a skip
#   124  the guest did not finish within the timeout and was killed
#   125  the rig failed (qemu error, guest set-up failed, no exit status)
set -euo pipefail

readonly prog=run-in-vm
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly here
readonly init_src=$here/guest-init.sh

timeout_s=${BERTH_VM_TIMEOUT:-120}
memory_mib=${BERTH_VM_MEMORY:-1024}
cpus=${BERTH_VM_CPUS:-2}
verbose=${BERTH_VM_VERBOSE:-0}
kernel=${BERTH_VM_KERNEL:-}
busybox=${BERTH_VM_BUSYBOX:-/bin/busybox}
cache_dir=${BERTH_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/berth-vm}
extra_env=()

usage() {
  cat <<EOF
usage: $prog [options] -- CMD [ARGS...]

Boots Debian's kernel under qemu (TCG) with every cgroup v2 controller enabled
and runs CMD chrooted into a read-only view of this host's root, in the same
working directory. Prints the command's output; exits with its status.

options (environment variable in brackets):
  -t, --timeout SEC   kill the guest after SEC seconds, exit 124 [BERTH_VM_TIMEOUT, 120]
  -m, --memory MIB    guest memory [BERTH_VM_MEMORY, 1024]
  -c, --cpus N        guest vCPUs [BERTH_VM_CPUS, 2]
  -k, --kernel FILE   kernel image; its modules must be in /lib/modules/<version>
                      [BERTH_VM_KERNEL, newest /boot/vmlinuz-* with modules]
  -e, --env NAME=VAL  set a variable for CMD (repeatable); PATH, LANG, GTEST_*
                      and BERTH_* (not BERTH_VM_*) are passed on already
  -v, --verbose       show kernel and guest set-up messages on stderr [BERTH_VM_VERBOSE=1]
  -h, --help          this text
initramfs cache directory: BERTH_VM_CACHE (default ~/.cache/berth-vm)
EOF
}

skip() {
  echo "$prog: SKIP: $*" >&2
  exit 77
}
die() {
  echo "$prog: $*" >&2
  exit 125
}

while (($#)); do
  case $1 in
    -t | --timeout) timeout_s=${2:?}; shift 2 ;;
    -m | --memory) memory_mib=${2:?}; shift 2 ;;
    -c | --cpus) cpus=${2:?}; shift 2 ;;
    -k | --kernel) kernel=${2:?}; shift 2 ;;
    -e | --env) extra_env+=("${2:?}"); shift 2 ;;
    -v | --verbose) verbose=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) break ;;
  esac
done
(($#)) || { usage >&2; die "no command given"; }
[[ $timeout_s =~ ^[0-9]+$ && $memory_mib =~ ^[0-9]+$ && $cpus =~ ^[0-9]+$ ]] ||
  die "timeout, memory and cpus must be whole numbers"
for e in "${extra_env[@]}"; do
  [[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE, got '$e'"
done

# --- prerequisites (missing ones are a skip, not a failure) ----------------
qemu=$(command -v qemu-system-x86_64) ||
  skip "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
if [[ -z $kernel ]]; then
  for k in $(printf '%s\n' /boot/vmlinuz-* | sort -rV); do
    if [[ -d /lib/modules/${k#/boot/vmlinuz-}/kernel ]]; then
      kernel=$k
      break
    fi
  done
  [[ -n $kernel ]] ||
    skip "no /boot/vmlinuz-* with modules in /lib/modules (Debian package linux-image-amd64)"
fi
[[ -r $kernel ]] || skip "kernel image $kernel is not readable"
kver=${kernel##*/vmlinuz-}
[[ -d /lib/modules/$kver ]] || skip "no modules for kernel $kver in /lib/modules/$kver"
[[ -x $busybox ]] || skip "$busybox not found (Debian package busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then
  skip "$busybox is dynamically linked; the initramfs needs busybox-static"
fi
if command -v cpio >/dev/null; then
  cpio_out=(cpio -o -H newc -R 0:0 --quiet)
else
  cpio_out=("$busybox" cpio -o -H newc -R 0:0)
fi

# --- the cached initramfs ----------------------------------------------------
# Kernel modules the guest needs for the 9p share (and overlayfs, for the
# agent's container root filesystems), dependencies first. modprobe reads the
# modules.dep of the guest kernel; the fixed list is vm-rig.md's.
module_paths() {
  local m deps seen=" " kind path rest
  if command -v modprobe >/dev/null &&
    deps=$(for m in 9p 9pnet_virtio virtio_pci overlay; do
      modprobe -S "$kver" --show-depends "$m" || exit 1
    done 2>/dev/null); then
    while read -r kind path rest; do
      [[ $kind == insmod && $seen != *" $path "* ]] || continue
      seen+="$path "
      echo "$path"
    done <<<"$deps"
    return 0
  fi
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
    netfs fscache 9pnet 9pnet_virtio 9p overlay; do
    path=$(find "/lib/modules/$kver/kernel" -name "$m.ko*" -print -quit)
    if [[ -n $path ]]; then echo "$path"; fi
  done
}

mapfile -t modules < <(module_paths || true)
for need in 9p 9pnet_virtio virtio_pci; do
  if [[ " ${modules[*]} " != *"/$need.ko"[.\ ]* ]] &&
    ! grep -qs "/$need\.ko\$" "/lib/modules/$kver/modules.builtin"; then
    skip "kernel $kver has neither a module nor built-in support for $need"
  fi
done

cache_key=$(
  {
    echo "$kver"
    cat "$init_src" "$busybox"
    for m in "${modules[@]}"; do echo "$m"; cat "$m"; done
  } | sha256sum | cut -c1-16
)
base_initrd=$cache_dir/initramfs-$kver-$cache_key.cpio

build_initramfs() {
  local stage tmp m name size
  mkdir -p "$cache_dir" || die "failed to create cache directory $cache_dir"
  stage=$(mktemp -d "$cache_dir/.stage.XXXXXX")
  mkdir -p "$stage"/{bin,modules}
  cp "$busybox" "$stage/bin/busybox"
  install -m 0755 "$init_src" "$stage/init"
  : >"$stage/modules/order"
  for m in "${modules[@]}"; do
    name=${m##*/}
    name=${name%%.ko*}
    case $m in
      *.ko) cp "$m" "$stage/modules/$name.ko" ;;
      *.ko.xz) xz -dc "$m" >"$stage/modules/$name.ko" ;;
      *.ko.zst) zstd -qdc "$m" >"$stage/modules/$name.ko" ;;
      *.ko.gz) gzip -dc "$m" >"$stage/modules/$name.ko" ;;
      *) die "cannot unpack module $m" ;;
    esac
    echo "$name" >>"$stage/modules/order"
  done
  tmp=$base_initrd.tmp.$$
  (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "${cpio_out[@]}") >"$tmp" 2>/dev/null ||
    die "failed to build the initramfs with ${cpio_out[*]}"
  # The per-run archive is appended; the kernel expects it 4-byte aligned.
  size=$(stat -c %s "$tmp")
  head -c $(((4 - size % 4) % 4)) /dev/zero >>"$tmp"
  rm -rf "$stage"
  # Drop initramfs images built from other inputs (an older kernel, busybox
  # or init script), then publish atomically.
  find "$cache_dir" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "${base_initrd##*/}" -delete
  mv -f "$tmp" "$base_initrd"
  [[ $verbose == 1 ]] && echo "$prog: built $base_initrd" >&2
  return 0
}
[[ -s $base_initrd ]] || build_initramfs

# --- the cached uncompressed kernel ------------------------------------------
# Decompressing the bzImage under TCG takes ~2.5 s of every boot. A kernel
# built with CONFIG_PVH boots straight from its ELF vmlinux, so unpack that
# once (the bzImage header says where the payload is; its last 4 bytes are
# the uncompressed size, which checks the result) and fall back to the
# bzImage when anything does not fit.
le32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
extract_vmlinux() {
  local out=$1 setup_sects payload_off payload_len size magic tmp
  grep -qs '^CONFIG_PVH=y' "/boot/config-$kver" || return 1
  [[ $(od -An -c -j 514 -N 4 "$kernel" | tr -d ' ') == HdrS ]] || return 1
  setup_sects=$(od -An -t u1 -j 497 -N 1 "$kernel" | tr -d ' ')
  payload_off=$(le32 "$kernel" $((0x248)))
  payload_len=$(le32 "$kernel" $((0x24c)))
  [[ $setup_sects =~ ^[0-9]+$ && $payload_off =~ ^[0-9]+$ && $payload_len =~ ^[0-9]+$ ]] ||
    return 1
  ((setup_sects == 0)) && setup_sects=4
  payload_off=$(((setup_sects + 1) * 512 + payload_off))
  size=$(le32 "$kernel" $((payload_off + payload_len - 4)))
  [[ $size =~ ^[0-9]+$ ]] || return 1
  magic=$(od -An -t x1 -j "$payload_off" -N 4 "$kernel" | tr -d ' ')
  local unpack
  case $magic in
    fd377a58) unpack=(xz -dc) ;;
    1f8b*) unpack=(gzip -dc) ;;
    28b52ffd) unpack=(zstd -qdc) ;;
    425a68*) unpack=(bzip2 -dc) ;;
    5d00*) unpack=(xz -dc --format=lzma) ;;
    *) return 1 ;;
  esac
  command -v "${unpack[0]}" >/dev/null || return 1
  tmp=$out.tmp.$$
  dd if="$kernel" iflag=skip_bytes,count_bytes skip="$payload_off" count=$((payload_len - 4)) \
    status=none | "${unpack[@]}" >"$tmp" 2>/dev/null || { rm -f "$tmp"; return 1; }
  if [[ $(stat -c %s "$tmp") != "$size" || $(od -An -c -N 4 "$tmp" | tr -d ' ') != '177ELF' ]]; then
    rm -f "$tmp"
    return 1
  fi
  find "$cache_dir" -maxdepth 1 -name 'vmlinux-*' ! -name '*.tmp.*' ! -name "${out##*/}" -delete
  mv -f "$tmp" "$out"
}
mkdir -p "$cache_dir" || die "failed to create cache directory $cache_dir"
boot_kernel=$kernel
vmlinux=$cache_dir/vmlinux-$kver-$(sha256sum "$kernel" | cut -c1-16)
if [[ -s $vmlinux ]] || extract_vmlinux "$vmlinux"; then
  boot_kernel=$vmlinux
elif [[ $verbose == 1 ]]; then
  echo "$prog: booting the compressed $kernel (no PVH vmlinux could be unpacked)" >&2
fi

# --- the per-run archive: command, cwd, environment, nonce -------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm.XXXXXX")
qemu_pid=
cleanup() {
  if [[ -n $qemu_pid ]]; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Single-quote for the guest's POSIX sh.
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$work/run/berth-run"
printf 'BERTH_NONCE=%s\nBERTH_VERBOSE=%s\n' "$nonce" "$verbose" >"$work/run/berth-run/env"
{
  cwd=$(pwd)
  printf 'cd %s 2>/dev/null || { printf "%%s: cannot enter %%s in the guest (under /tmp or /run?); running in /\\n" %s %s >&2; cd /; }\n' \
    "$(quote "$cwd")" "$prog" "$(quote "$cwd")"
  while IFS= read -r name; do
    [[ $name == BERTH_VM_* ]] && continue
    printf 'export %s=%s\n' "$name" "$(quote "${!name}")"
  done < <(compgen -e | grep -E '^(PATH|LANG|LC_[A-Z]+|GTEST_[A-Z_]+|BERTH_[A-Za-z0-9_]+)$' || true)
  for e in "${extra_env[@]}"; do
    printf 'export %s=%s\n' "${e%%=*}" "$(quote "${e#*=}")"
  done
  printf 'exec'
  for a in "$@"; do printf ' %s' "$(quote "$a")"; done
  printf '\n'
} >"$work/run/berth-run/cmd.sh"
# Host paths the guest must see although they sit under a place it covers
# with tmpfs (/tmp, /var/tmp, /run): a checkout or build tree under /tmp.
{
  pwd
  [[ ${1:-} == /* ]] && printf '%s\n' "$1"
} >"$work/run/berth-run/keep"
(cd "$work/run" && find . -mindepth 1 | LC_ALL=C sort | "${cpio_out[@]}") >"$work/run.cpio" 2>/dev/null ||
  die "failed to build the per-run archive"
cat "$base_initrd" "$work/run.cpio" >"$work/initrd"

# --- boot --------------------------------------------------------------------
# quiet + loglevel=1 keep the kernel off the console (an OOM report would
# otherwise interleave with the command's output); --verbose shows it all.
append="console=ttyS0 panic=-1 rdinit=/init tsc=reliable no_timer_check"
append+=" i8042.noaux i8042.nomux i8042.nopnp 8250.nr_uarts=1"
if [[ $verbose == 1 ]]; then
  append+=" loglevel=7"
else
  append+=" quiet loglevel=1"
fi

mkfifo "$work/console"
start=$(date +%s.%N)
timeout --kill-after=5 "$timeout_s" "$qemu" \
  -accel tcg -machine pc -cpu max -m "$memory_mib" -smp "$cpus" \
  -nographic -nodefaults -serial stdio -no-reboot -nic none \
  -kernel "$boot_kernel" -initrd "$work/initrd" -append "$append" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  </dev/null >"$work/console" 2>"$work/qemu.stderr" &
qemu_pid=$!

# Copy the command's output (between the START and EXIT markers) to stdout.
# Guest lines are kept in console.log for the failure report.
state=boot
rc=
fail_reason=
held=
have_held=0
while IFS= read -r line || [[ -n $line ]]; do
  line=${line%$'\r'}
  printf '%s\n' "$line" >>"$work/console.log"
  case $line in
    "@@BERTH-VM-WARN $nonce@@ "*) echo "$prog: guest: ${line#*@@ }" >&2; continue ;;
    "@@BERTH-VM-LOG $nonce@@ "*)
      [[ $verbose == 1 ]] && echo "$prog: guest: ${line#*@@ }" >&2
      continue
      ;;
    "@@BERTH-VM-FAIL $nonce@@ "*) fail_reason=${line#*@@ }; break ;;
    "@@BERTH-VM-START $nonce@@")
      state=run
      [[ $verbose == 1 ]] &&
        awk -v s="$start" -v e="$(date +%s.%N)" -v p="$prog" \
          'BEGIN { printf "%s: command started %.1f s after qemu\n", p, e - s }' >&2
      continue
      ;;
    "@@BERTH-VM-EXIT $nonce@@ "*)
      rc=${line#*@@ }
      # Drop the blank line the guest printed before the marker.
      if ((have_held)) && [[ -n $held ]]; then printf '%s\n' "$held"; fi
      have_held=0
      state=finished
      # Nothing after this line matters; do not wait for the guest's power-off.
      break
      ;;
  esac
  if [[ $state == run ]]; then
    if ((have_held)); then printf '%s\n' "$held"; fi
    held=$line
    have_held=1
  elif [[ $verbose == 1 ]]; then
    printf '%s\n' "$line" >&2
  fi
done <"$work/console"
if ((have_held)); then printf '%s\n' "$held"; fi

if [[ $state == finished || -n $fail_reason ]]; then
  kill "$qemu_pid" 2>/dev/null || true
fi
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

report_console() {
  echo "$prog: last guest console lines:" >&2
  tail -n 40 "$work/console.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
  if [[ -s $work/qemu.stderr ]]; then
    echo "$prog: qemu stderr:" >&2
    sed 's/^/  | /' "$work/qemu.stderr" >&2
  fi
}

if [[ -n $fail_reason ]]; then
  echo "$prog: guest set-up failed: $fail_reason" >&2
  report_console
  exit 125
fi
if [[ $state == finished && $rc =~ ^[0-9]+$ ]]; then
  if [[ $verbose == 1 ]]; then
    echo "$prog: command exited $rc; ${elapsed}s from qemu start to exit status" >&2
    if [[ -s $work/qemu.stderr ]]; then sed "s/^/$prog: qemu: /" "$work/qemu.stderr" >&2; fi
  fi
  exit "$rc"
fi
if ((qemu_rc == 124 || qemu_rc == 137)); then
  echo "$prog: the guest did not finish within ${timeout_s}s and was killed" \
    "(state: $state; raise --timeout or BERTH_VM_TIMEOUT if the command is just slow)" >&2
  report_console
  exit 124
fi
echo "$prog: qemu exited with status $qemu_rc after ${elapsed}s without reporting" \
  "the command's exit status (state: $state)" >&2
report_console
exit 125
