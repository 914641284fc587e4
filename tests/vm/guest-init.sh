#!/bin/busybox sh
# /init of the berth VM-tier initramfs. run-in-vm.sh copies this file, a
# static busybox and the 9p/virtio modules into a cached initramfs, and
# appends a per-run archive holding /berth-run/env (the run's marker nonce and
# verbosity) and /berth-run/cmd.sh (cwd, environment and the command, quoted).
#
# Boot: load modules, mount the host root (read-only 9p, tag "hostroot") at
# /mnt, give it fresh proc/sys/dev, cgroup2 with every controller enabled in
# the root's subtree_control, tmpfs for the writable places, then chroot and
# run the command. Every line this script prints starts with a marker carrying
# the nonce, so the host can tell them from the command's output:
#   @@BERTH-VM-LOG <nonce>@@ ...    progress; the host shows it with --verbose
#   @@BERTH-VM-WARN <nonce>@@ ...   the host always copies it to stderr
#   @@BERTH-VM-START <nonce>@@      the command's output starts after this line
#   @@BERTH-VM-EXIT <nonce>@@ <rc>  the command's exit status
#   @@BERTH-VM-FAIL <nonce>@@ ...   set-up failed; the command did not run
# The command never touches the host: the share is read-only and everything
# it writes lands in guest tmpfs.

/bin/busybox mkdir -p /proc /sys /dev /mnt /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
BERTH_NONCE=unknown
BERTH_VERBOSE=0
. /berth-run/env

# The firmware leaves its last line unterminated; start the markers afresh.
echo
log() { echo "@@BERTH-VM-LOG $BERTH_NONCE@@ $*"; }
warn() { echo "@@BERTH-VM-WARN $BERTH_NONCE@@ $*"; }
# The serial port drains asynchronously; give it a moment before power-off
# so the last lines are not lost.
halt_guest() { sleep 0.2; poweroff -f; }
fail() {
  echo
  echo "@@BERTH-VM-FAIL $BERTH_NONCE@@ $*"
  halt_guest
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
if [ "$BERTH_VERBOSE" != 1 ]; then
  # Only emergencies reach the console (an OOM kill logs at warning level).
  echo 1 >/proc/sys/kernel/printk
fi
# Plain '\n' line ends on the console, as on a pipe.
stty -F /dev/console -onlcr 2>/dev/null

log "loading modules: $(tr '\n' ' ' </modules/order)"
for m in $(cat /modules/order); do
  insmod "/modules/$m.ko" || fail "failed to load kernel module $m"
done

r=/mnt
log "mounting the host root"
# cache=loose: the guest caches what it reads (exec'ing a test binary and its
# libraries takes about half the time of cache=none under TCG). A host file
# rewritten while the guest runs may then look stale; each run is a new guest.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot "$r" ||
  fail "failed to mount the host root (9p mount_tag hostroot)"

# A pristine view of the host root, taken before the tmpfs mounts below
# cover /tmp, /var/tmp and /run (a non-recursive bind keeps no submounts).
mkdir -p /host
mount -o bind "$r" /host || fail "failed to bind the host root to /host"

mount -t proc proc "$r/proc" || fail "failed to mount proc in the chroot"
mount -t sysfs sysfs "$r/sys" || fail "failed to mount sysfs in the chroot"
mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup" ||
  fail "failed to mount cgroup2 on /sys/fs/cgroup"
for c in $(cat "$r/sys/fs/cgroup/cgroup.controllers"); do
  echo "+$c" >"$r/sys/fs/cgroup/cgroup.subtree_control" ||
    warn "failed to enable cgroup controller $c in the root's subtree_control"
done
log "cgroup2 controllers enabled: $(cat "$r/sys/fs/cgroup/cgroup.subtree_control")"
mount -t bpf bpf "$r/sys/fs/bpf" 2>/dev/null || log "no bpffs"
mount -t devtmpfs devtmpfs "$r/dev" || fail "failed to mount devtmpfs in the chroot"
mkdir -p "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm"
# What udev would add: bash's process substitution needs /dev/fd.
ln -sfn /proc/self/fd "$r/dev/fd"
ln -sfn /proc/self/fd/0 "$r/dev/stdin"
ln -sfn /proc/self/fd/1 "$r/dev/stdout"
ln -sfn /proc/self/fd/2 "$r/dev/stderr"
for d in /tmp /var/tmp; do
  if [ -d "$r$d" ]; then
    mount -t tmpfs -o mode=1777 tmpfs "$r$d" || fail "failed to mount tmpfs on $d"
  fi
done
if [ -d "$r/run" ]; then
  mount -t tmpfs -o mode=0755 tmpfs "$r/run" || fail "failed to mount tmpfs on /run"
fi
# Bring back the host directories the command needs from under those tmpfs
# mounts (e.g. a clone in /tmp/ci): read-only, like the rest of the host.
exposed=" "
if [ -f /berth-run/keep ]; then
  while IFS= read -r p; do
    for d in /tmp /var/tmp /run; do
      case "$p" in
        "$d"/*)
          rest=${p#"$d"/}
          top="$d/${rest%%/*}"
          case "$exposed" in *" $top "*) continue ;; esac
          if [ -d "/host$top" ]; then
            mkdir -p "$r$top" && mount -o bind "/host$top" "$r$top" ||
              warn "failed to expose the host's $top in the guest"
            exposed="$exposed$top "
          fi
          ;;
      esac
    done
  done </berth-run/keep
fi
ip link set lo up 2>/dev/null || warn "failed to bring up the loopback interface"

log "running the command"
echo "@@BERTH-VM-START $BERTH_NONCE@@"
env -i HOME=/tmp TERM=dumb PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
  chroot "$r" /bin/sh -c "$(cat /berth-run/cmd.sh)" </dev/null
rc=$?
# The command's last line may lack its newline; the host drops this blank
# line when it directly precedes the marker.
echo
echo "@@BERTH-VM-EXIT $BERTH_NONCE@@ $rc"
halt_guest
