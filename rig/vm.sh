#!/usr/bin/env bash
# A t2.micro in a local VM (1 vCPU under TCG, 1024 MiB, Debian 13, Docker 26, cgroup v2),
# for what the cgroup rig cannot show: bridge networks, the whole machine's MemAvailable, the
# kernel's own OOM killer, systemd-managed Docker, reboots. Facts: ../shared/spec/VM.md.
#   rig/vm.sh build                  build the guest image from Debian's archive (debootstrap)
#                                    and its warm snapshot (booted once, saved when dockerd
#                                    answers), cached under $STAGEHAND_VM_VAR/<recipe hash>
#   rig/vm.sh boot SHARE [--deadline S]
#                                    start it headless (fresh disk, SHARE as 9p tag "share"),
#                                    restored from the warm snapshot (STAGEHAND_VM_COLD=1: a
#                                    cold boot); reboots in the guest are always real boots
#   rig/vm.sh run SHARE [--deadline S]
#                                    boot, let the guest run SHARE/run.sh (results in
#                                    SHARE/out), wait for it to power off, exit with its status
#   rig/vm.sh down                   stop the VM `boot` started (by PID), nothing else
#   rig/vm.sh deploy REVISION_DIR [--images IMAGE...] [--out DIR]
#                                    rehearse a revision in the VM (rig/vm-deploy.sh)
#   rig/vm.sh suite [BUILD_DIR]      the VM suite of rig/test-all.sh (rig/vm-suite.sh)
# One VM at a time (flock on $STAGEHAND_VM_VAR/lock); under TCG it takes a whole core.
# Env: STAGEHAND_VM_VAR (the VM's folder: $STAGEHAND_RIG_VAR/vm, /var/lib/stagehand-rig/vm;
# each worktree of a shared host its own, as a build drops the other recipes' images),
# STAGEHAND_DEBIAN_MIRROR (http://deb.debian.org/debian), STAGEHAND_VM_DEADLINE (default
# deadline, s), STAGEHAND_VM_COLD=1 (boot instead of restoring the warm snapshot).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_var=${STAGEHAND_VM_VAR:-${STAGEHAND_RIG_VAR:-/var/lib/stagehand-rig}/vm}
readonly k_run=$k_var/run
readonly k_mirror=${STAGEHAND_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly k_suite=trixie
readonly k_packages=(systemd-sysv udev kmod initramfs-tools zstd linux-image-amd64 docker.io
  docker-cli docker-compose busybox-static iproute2 iptables procps ca-certificates jq)
# virtio_blk and ext4 are modules in Debian's kernel (virtio_pci is built in): 11 MB initrd.
readonly k_initrd_modules=(virtio_blk ext4 crc32c_generic)
readonly k_disk_size=4G
# The guest's devices: a snapshot restores only into the same ones. The virtio-serial port
# stagehand.ctl is how the host tells a restored guest the time and to go on.
readonly k_qemu_args=(-accel tcg -cpu qemu64 -smp 1 -m 1024 -nodefaults -no-user-config
  -display none -nic none -device virtio-serial)
readonly k_cmdline="root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.show_status=1"
readonly k_deadline_s=${STAGEHAND_VM_DEADLINE:-1800}

log() { printf 'vm: %s\n' "$*"; }
die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

# Everything the image depends on: the package list, the initrd modules, the files baked in
# and the code that builds it. Its hash names the cache folder.
recipe() {
  printf 'suite %s\npackages %s\nmodules %s\ndisk %s\n' "$k_suite" "${k_packages[*]}" \
    "${k_initrd_modules[*]}" "$k_disk_size"
  cat tests/vm/image/*
  declare -f bootstrap_rootfs configure_rootfs trim_rootfs make_image
}

image_dir() { printf '%s/%s\n' "$k_var" "$(recipe | sha256sum | cut -c1-16)"; }

# The warm snapshot depends on the image, on QEMU (its version: the saved device state) and
# on how QEMU is started: it lives in the image's folder under a hash of those.
snapshot_file() {
  local key
  key=$( (qemu-system-x86_64 --version | head -n1
    printf '%s\n' "${k_qemu_args[*]}" "$k_cmdline"
    declare -f qemu_machine make_snapshot) | sha256sum | cut -c1-12)
  printf '%s/warm-%s.qcow2.zst\n' "$(image_dir)" "$key"
}

bootstrap_rootfs() {
  local root=$1
  local include
  include=$(IFS=,; printf '%s' "${k_packages[*]}")
  # Before the kernel's package runs update-initramfs: only the listed modules, so the one
  # initrd debootstrap makes is the small one (files no package owns, so dpkg keeps them).
  mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/usr/share/initramfs-tools/modules.d"
  printf 'MODULES=list\nCOMPRESS=zstd\n' >"$root/etc/initramfs-tools/conf.d/stagehand.conf"
  printf '%s\n' "${k_initrd_modules[@]}" \
    >"$root/usr/share/initramfs-tools/modules.d/stagehand.conf"
  debootstrap --variant=minbase --include="$include" "$k_suite" "$root" "$k_mirror"
}

configure_rootfs() {
  local root=$1
  printf 't2micro\n' >"$root/etc/hostname"
  printf '/dev/vda / ext4 rw,noatime 0 1\n' >"$root/etc/fstab"
  chroot "$root" passwd -d root >/dev/null
  install -m 0644 tests/vm/image/stagehand-vm.service "$root/etc/systemd/system/"
  install -m 0755 tests/vm/image/stagehand-vm-run "$root/usr/local/sbin/"
  ln -sf /etc/systemd/system/stagehand-vm.service \
    "$root/etc/systemd/system/multi-user.target.wants/stagehand-vm.service"
  # Timers that would fire apt or fsck work at random moments of a measured run.
  local unit
  for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
    fstrim.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
}

trim_rootfs() {
  local root=$1
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bash-completion} \
    "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
    "$root"/var/log/*.log "$root"/boot/*.old
}

make_image() {
  local root=$1 out=$2
  cp -L "$root/vmlinuz" "$out/vmlinuz"
  cp -L "$root/initrd.img" "$out/initrd.img"
  (($(stat -c %s "$out/initrd.img") < 20000000)) ||
    { echo "initrd of $(stat -c %s "$out/initrd.img") bytes: MODULES=list not applied" >&2; return 1; }
  rm -f "$out/rootfs.img"
  mkfs.ext4 -q -F -L stagehand-vm -d "$root" "$out/rootfs.img" "$k_disk_size"
  zstd -q -T0 -3 --rm "$out/rootfs.img" -o "$out/rootfs.img.zst"
}

cmd_build() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot)"
  local dir
  dir=$(image_dir)
  if [[ -f $dir/rootfs.img.zst && -f $dir/vmlinuz && -f $dir/initrd.img ]]; then
    log "image cached: $dir"
    ensure_snapshot
    return 0
  fi
  local started=$SECONDS tmp
  mkdir -p "$k_var"
  tmp=$(mktemp -d "$k_var/build.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the folder name is fixed
  trap "rm -rf '$tmp'" EXIT
  log "building the guest image ($k_suite from $k_mirror; log $tmp/build.log)"
  bootstrap_rootfs "$tmp/root" >"$tmp/build.log" 2>&1 ||
    { tail -n 20 "$tmp/build.log" >&2; die "debootstrap failed"; }
  log "debootstrap done in $((SECONDS - started))s"
  configure_rootfs "$tmp/root" || die "configuring the rootfs failed"
  trim_rootfs "$tmp/root"
  mkdir -p "$tmp/out"
  make_image "$tmp/root" "$tmp/out" || die "making the image failed"
  recipe >"$tmp/out/recipe.txt"
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  # Images of older recipes are dead weight (~280 MB each).
  find "$k_var" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{16\}' \
    ! -path "$dir" -exec rm -rf {} +
  log "image built in $((SECONDS - started))s: $dir ($(du -sh "$dir" | cut -f1))"
  ensure_snapshot
}

ensure_snapshot() {
  local file started=$SECONDS
  file=$(snapshot_file)
  if [[ -f $file ]]; then
    log "warm snapshot cached: $file"
    return 0
  fi
  log "making the warm snapshot (one boot until dockerd answers)"
  make_snapshot "$file" || die "making the warm snapshot failed (serial console: $k_run/serial.log)"
  find "$(image_dir)" -name 'warm-*.qcow2.zst' ! -path "$file" -delete
  log "warm snapshot made in $((SECONDS - started))s: $file ($(du -h "$file" | cut -f1))"
}

# make_snapshot FILE: boots a fresh disk with an empty share (the guest leaves it unmounted
# in this mode), waits for the guest's "ready" (dockerd answers), saves the VM as "warm" in
# the disk's qcow2 (savevm on a monitor over FIFOs) and keeps that qcow2, zstd'ed, as FILE.
make_snapshot() {
  local file=$1 line
  fresh_disk cold
  mkdir -p "$k_run/empty-share"
  start_qemu "$k_run/empty-share" snapshot
  if ! read -r -t 900 line <"$k_run/ctl.out" || [[ $line != ready* ]]; then
    stop_qemu
    tail -n 20 "$k_run/serial.log" >&2
    return 1
  fi
  log "guest ready to be saved (dockerd answered ${line#ready }s after boot)"
  printf 'savevm warm\nquit\n' >"$k_run/mon.in"
  local end=$((SECONDS + 300))
  while [[ -n $(qemu_pid) ]]; do
    ((SECONDS < end)) || { stop_qemu; return 1; }
    sleep 1
  done
  qemu-img snapshot -l "$k_run/disk.qcow2" | grep -qw warm || return 1
  zstd -q -T0 -3 -f "$k_run/disk.qcow2" -o "$file.tmp" && mv "$file.tmp" "$file"
}

# --- running it ---------------------------------------------------------------------------

qemu_pid() {
  local pid
  [[ -f $k_run/qemu.pid ]] || return 0
  pid=$(<"$k_run/qemu.pid")
  if [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'qemu-system-x86_64.*stagehand-vm'; then
    printf '%s\n' "$pid"
  fi
}

# fresh_disk cold|warm: the image's rootfs as $k_run/base.img (raw) under the qcow2 disk.qcow2:
# a new empty overlay (cold) or the warm snapshot's (its backing file is "base.img", relative).
fresh_disk() {
  local dir
  dir=$(image_dir)
  [[ -f $dir/rootfs.img.zst ]] || die "no image for this recipe: run rig/vm.sh build"
  mkdir -p "$k_run"
  rm -f "$k_run"/{disk.img,base.img,disk.qcow2,serial.log,qemu.log}
  zstd -q -d "$dir/rootfs.img.zst" -o "$k_run/base.img"
  if [[ $1 == warm ]]; then
    zstd -q -d "$(snapshot_file)" -o "$k_run/disk.qcow2"
  else
    (cd "$k_run" && qemu-img create -q -f qcow2 -F raw -b base.img disk.qcow2)
  fi
}

# qemu_machine SHARE CMDLINE: the machine and its devices, into the caller's array "machine".
# A snapshot restores only into the same ones: snapshot_file hashes this function.
# cache=unsafe: the guest's flushes are not forced to the host's disk. A killed QEMU still
# loses nothing the guest synced (at a flush qcow2 still writes its data and tables to the
# host's page cache; only the fsync is skipped), which the power-cut case needs.
qemu_machine() {
  local share=$1 cmdline=$2 dir
  dir=$(image_dir)
  machine=(-name stagehand-vm "${k_qemu_args[@]}"
    -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$cmdline"
    -drive "file=$k_run/disk.qcow2,if=virtio,format=qcow2,cache=unsafe"
    -virtfs "local,path=$share,mount_tag=share,security_model=none,id=share"
    -chardev "pipe,id=ctl,path=$k_run/ctl" -device "virtserialport,chardev=ctl,name=stagehand.ctl"
    -serial "file:$k_run/serial.log")
}

# start_qemu SHARE MODE: QEMU in the background on $k_run/disk.qcow2 with SHARE as 9p tag
# "share". MODE: boot (cold), snapshot (the guest waits for dockerd and says "ready" on the
# control port; a monitor on $k_run/mon.{in,out} saves it), restore (from "warm"; the guest
# is sent the time and goes on). The guest's own reboots boot this QEMU's kernel and
# command line: real boots, whatever the mode.
start_qemu() {
  local share=$1 mode=$2 fifo extra=() cmdline=$k_cmdline
  for fifo in ctl.in ctl.out mon.in mon.out; do
    rm -f "$k_run/$fifo"
    mkfifo "$k_run/$fifo"
  done
  case $mode in
    snapshot)
      cmdline+=" stagehand.snapshot"
      extra=(-chardev "pipe,id=mon,path=$k_run/mon" -mon "chardev=mon,mode=readline") ;;
    restore) extra=(-loadvm warm) ;;
  esac
  local machine
  qemu_machine "$share" "$cmdline"
  setsid qemu-system-x86_64 "${machine[@]}" "${extra[@]}" </dev/null >>"$k_run/qemu.log" 2>&1 8>&- &
  local pid=$! tries=0
  disown "$pid" # no "Killed" job notice when the power-cut case kills it
  # Until setsid has exec'd QEMU, /proc/PID/cmdline is still this shell's, and qemu_pid
  # (which checks it) would take the VM for gone.
  until tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'qemu-system-x86_64.*stagehand-vm'; do
    if ! kill -0 "$pid" 2>/dev/null || ((tries++ >= 100)); then
      die "QEMU did not start ($k_run/qemu.log)"
    fi
    sleep 0.1
  done
  printf '%s\n' "$pid" >"$k_run/qemu.pid"
  [[ $mode == restore ]] || return 0
  # QEMU opens its FIFOs at start and hands this to the guest once restored (1-2 s later:
  # the guest's clock ends up that much behind the host's).
  # shellcheck disable=SC2016 # the inner shell expands its own
  timeout 30 bash -c 'printf "go %s\n" "$(date +%s.%N)" >"$1"' _ "$k_run/ctl.in" ||
    die "could not write to the guest's control port ($k_run/qemu.log)"
}

# boot SHARE [--deadline S]: a watchdog (its own session; it ends when QEMU does) kills this
# QEMU after S seconds, so a VM started by hand and forgotten does not hold a core for ever.
cmd_boot() {
  local share=$1 deadline_s=$k_deadline_s mode=restore
  [[ ${2:-} == --deadline ]] && deadline_s=$3
  [[ -d $share ]] || die "share folder not found: $share"
  [[ -z $(qemu_pid) ]] || die "a VM already runs (PID $(qemu_pid)): rig/vm.sh down"
  if [[ ${STAGEHAND_VM_COLD:-0} == 1 || ! -f $(snapshot_file) ]]; then
    mode=boot
    [[ ${STAGEHAND_VM_COLD:-0} == 1 ]] || log "no warm snapshot (rig/vm.sh build makes it): cold boot"
  fi
  local started=$SECONDS
  if [[ $mode == restore ]]; then fresh_disk warm; else fresh_disk cold; fi
  mkdir -p "$share/out"
  start_qemu "$(realpath "$share")" "$mode"
  local pid
  pid=$(<"$k_run/qemu.pid")
  # shellcheck disable=SC2016 # the watchdog expands its own arguments
  setsid bash -c 'end=$((SECONDS + $1))
    while grep -qa stagehand-vm "/proc/$2/cmdline" 2>/dev/null; do
      ((SECONDS < end)) || { kill -KILL "$2"; exit; }
      sleep 5
    done' _ "$deadline_s" "$pid" </dev/null >/dev/null 2>&1 8>&- &
  log "$( [[ $mode == restore ]] && echo restored || echo booting) in $((SECONDS - started))s" \
    "(PID $pid, deadline ${deadline_s}s, serial console $k_run/serial.log)"
}

stop_qemu() {
  local pid
  pid=$(qemu_pid)
  [[ -n $pid ]] || { rm -f "$k_run/qemu.pid"; return 0; }
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$k_run/qemu.pid"
}

cmd_down() {
  local pid
  pid=$(qemu_pid)
  if [[ -z $pid ]]; then
    log "no VM of ours runs"
    return 0
  fi
  log "stopping QEMU (PID $pid)"
  stop_qemu
}

# wait_guest SHARE DEADLINE_S: until QEMU exits; a guest's out/kill-me request (the hard
# power-off case) kills QEMU and boots the same disk again (a cold boot: the snapshot is
# only ever the first boot). 124 when the deadline passes; 125 when the guest's kernel
# panicked twice.
# A panicked guest kernel hangs (no panic= on the command line) and held the suite until its
# deadline: under TCG the Debian 13 kernel (6.12.117) once took a double fault in kmalloc
# while dockerd's iptables set up its rules in the boot after the power cut (CI rehearsal,
# 2026-12-06). Not the product: the emulator. Its serial console is kept in out/, and the
# same disk boots once more, as after another power cut; a second panic ends the run.
wait_guest() {
  local share=$1 deadline_s=$2 end pid panics=0
  end=$((SECONDS + deadline_s))
  while pid=$(qemu_pid) && [[ -n $pid ]]; do
    if [[ -f $share/out/kill-me ]]; then
      log "guest asked for a power cut: killing QEMU (PID $pid) and booting the same disk"
      stop_qemu
      rm -f "$share/out/kill-me"
      start_qemu "$share" boot
      continue
    fi
    if grep -qa 'Kernel panic - not syncing' "$k_run/serial.log" 2>/dev/null; then
      panics=$((panics + 1))
      log "the guest's kernel panicked (panic $panics; serial console kept as" \
        "$share/out/panic-$panics.serial.log); its last lines:"
      grep -a -m 3 -E 'Oops|RIP:|Comm:' "$k_run/serial.log" >&2 || true
      stop_qemu
      mv "$k_run/serial.log" "$share/out/panic-$panics.serial.log"
      if ((panics >= 2)); then
        log "a second kernel panic: giving up"
        return 125
      fi
      log "booting the same disk again, as after a power cut"
      start_qemu "$share" boot
      continue
    fi
    if ((SECONDS >= end)); then
      log "deadline of ${deadline_s}s passed: stopping QEMU; serial console tail:"
      tail -n 30 "$k_run/serial.log" >&2 || true
      stop_qemu
      return 124
    fi
    sleep 1
  done
  rm -f "$k_run/qemu.pid"
}

cmd_run() {
  local share deadline_s=$k_deadline_s
  share=$(realpath "$1")
  shift
  [[ ${1:-} == --deadline ]] && deadline_s=$2
  [[ -f $share/run.sh ]] || die "$share/run.sh not found"
  rm -rf "$share/out"
  cmd_boot "$share" --deadline "$((deadline_s + 60))"
  local status=0
  wait_guest "$share" "$deadline_s" || status=$?
  ((status == 0)) || return "$status"
  [[ -f $share/out/exit-status ]] ||
    { tail -n 30 "$k_run/serial.log" >&2; die "the guest wrote no exit status"; }
  return "$(<"$share/out/exit-status")"
}

with_lock() {
  mkdir -p "$k_var"
  exec 8>"$k_var/lock"
  flock -w 5 8 || die "another rig/vm.sh holds $k_var/lock (one VM at a time)"
  "$@"
}

usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

case ${1:-} in
  build) with_lock cmd_build ;;
  boot) (($# >= 2)) || usage; shift; cmd_boot "$@" ;;
  run) (($# >= 2)) || usage; shift; with_lock cmd_run "$@" ;;
  down) cmd_down ;;
  deploy) shift; exec rig/vm-deploy.sh "$@" ;;
  suite) shift; exec rig/vm-suite.sh "$@" ;;
  *) usage ;;
esac
