#!/usr/bin/env bash
# qemu-boot.sh - proves that modules built, signed and compressed by our
# dkms load into the real Debian kernels they were built for.
#
# For each kernel it builds examples/dkms-example with our dkms into a
# throw-away sandbox (real headers, the kernel's own compression choice:
# 6.1 plain .ko, 6.12 .ko.xz; for a kernel whose modules are plain it also
# builds a .ko.xz variant in a second sandbox; both with xz(1) installed,
# so xz(1) compresses), and a .ko.xz for every kernel in a third sandbox
# whose PATH lacks xz, so that our native encoder compresses (the copy
# booted is named native-*.ko.xz); in a fourth, also without xz, it
# "builds" the kernel's own ext4 and its dependencies (crc16, mbcache,
# jbd2; ext4 is 2.4 MB, several LZMA2 chunks), their signatures cut off,
# so that dkms signs and natively compresses real, large modules (booted
# as big-*.ko.xz). Then it boots the kernel's
# /boot/vmlinuz under QEMU with a tiny busybox initramfs that:
#   1. insmods each module (kmod 30's insmod, which decompresses .ko.xz in
#      user space; on kernels with CONFIG_MODULE_DECOMPRESS also a static
#      finit_module(MODULE_INIT_COMPRESSED_FILE) loader, so the kernel
#      itself decompresses) and checks /proc/modules and the kernel log
#      for "dkms_example: loaded, version 1.0"; the big-* modules are
#      loaded in dependency order (by the kernel's decompressor where it
#      has one) and must stay in /proc/modules;
#   2. turns on module.sig_enforce at run time and loads the module again,
#      plus a copy with the signature cut off: the kernel must reject ours
#      as signed by an unknown key ("Loading of module with unavailable key
#      is rejected") and the copy as unsigned ("Loading of unsigned module
#      is rejected"). The kernel's keyring does not hold our MOK, so this is
#      the most a boot can show without enrolling it; a malformed signature
#      would fail with EBADMSG and neither message.
# It prints PASS/FAIL per kernel with timings and exits non-zero on failure.
#
# Usage: test/qemu-boot.sh [KVER...]
#   default: the Debian 6.1 and 6.12 kernels with headers in /lib/modules
#   and an image in /boot (INITRD=No apt-get install linux-image-KVER).
# Environment (optional):
#   DKMS_BIN            dkms binary to test (default: go build ./cmd/dkms)
#   QEMU_BOOT_ACCEL     tcg (default) or kvm (nested KVM may hang stock
#                       kernels before /init; the timeout then fails the run)
#   QEMU_BOOT_TIMEOUT   seconds per boot (default 240)
#   QEMU_BOOT_KEEP=1    keep the work directory (logs, sandboxes)
# Needs: qemu-system-x86_64, busybox (static), cpio, gzip, kmod, xz, gcc,
# make; go when DKMS_BIN is unset.
set -euo pipefail

prog=${0##*/}
repo=$(cd "$(dirname "$0")/.." && pwd)
ACCEL=${QEMU_BOOT_ACCEL:-tcg}
TIMEOUT=${QEMU_BOOT_TIMEOUT:-240}
MARKER="dkms_example: loaded, version 1.0"

die() { echo "$prog: FAIL setup: $*"; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# default_kernels prints the Debian 6.1 and 6.12 releases with headers.
default_kernels() {
  local d k
  for d in /lib/modules/*/build/include; do
    [ -d "$d" ] || continue
    k=${d#/lib/modules/}; k=${k%/build/include}
    case $k in 6.1.*-amd64 | 6.12.*-amd64) echo "$k" ;; esac
  done
}

# check_tools fails early, naming every missing host tool.
check_tools() {
  local t missing=()
  for t in qemu-system-x86_64 busybox cpio gzip kmod xz gcc make timeout; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ -n "${DKMS_BIN:-}" ] || command -v go >/dev/null 2>&1 || missing+=(go)
  [ ${#missing[@]} -eq 0 ] ||
    die "missing ${missing[*]} (apt-get install qemu-system-x86 busybox-static cpio kmod xz-utils build-essential)"
}

# build_dkms sets DKMS to the binary under test.
build_dkms() {
  if [ -n "${DKMS_BIN:-}" ]; then DKMS=$DKMS_BIN; return; fi
  DKMS=$W/dkms
  (cd "$repo" && go build -o "$DKMS" ./cmd/dkms) || die "go build ./cmd/dkms failed"
}

# make_sandbox DIR KVER... creates hermetic dkms trees in DIR whose
# install tree links each kernel's real headers.
make_sandbox() {
  local dir=$1 k; shift
  mkdir -p "$dir/etc" "$dir/dkms" "$dir/src"
  cat >"$dir/etc/framework.conf" <<EOF
dkms_tree=$dir/dkms
source_tree=$dir/src
install_tree=$dir/modules
mok_signing_key=$W/mok.key
mok_certificate=$W/mok.pub
try_sign_modules=true
EOF
  for k in "$@"; do
    mkdir -p "$dir/modules/$k"
    ln -s "$(readlink -f "/lib/modules/$k/build")" "$dir/modules/$k/build"
    : >"$dir/modules/$k/modules.dep"
  done
  cp -r "$repo/examples/dkms-example" "$dir/src/dkms_example-1.0"
}

# kargs KVER... prints "-k KVER" for each kernel, one word a line.
kargs() { printf -- '-k\n%s\n' "$@"; }

# sandbox_dkms DIR ARGS... runs our dkms against the sandbox in DIR.
sandbox_dkms() {
  local dir=$1; shift
  DKMS_CONFDIR=$dir/etc parallel_jobs=$(nproc) "$DKMS" "$@"
}

# installed DIR KVER prints the module dkms installed for KVER.
installed() {
  local f
  for f in "$1/modules/$2/updates/dkms/dkms_example.ko"{,.xz,.zst,.gz}; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
  return 1
}

# build_modules KVER... builds and installs the example for every kernel
# in sandbox A; kernels that got a plain .ko are built again in sandbox B,
# whose install tree holds a *.ko.xz so that dkms compresses with xz(1).
# Sandbox N does the same for every kernel with a PATH without xz, so that
# dkms compresses with its native encoder.
build_modules() {
  local k ks plain=()
  make_sandbox "$W/a" "$@"
  mapfile -t ks < <(kargs "$@")
  sandbox_dkms "$W/a" install dkms_example/1.0 -a x86_64 "${ks[@]}" >"$W/a.log" 2>&1 ||
    { cat "$W/a.log"; die "dkms install failed"; }
  for k in "$@"; do
    case $(installed "$W/a" "$k") in *.ko) plain+=("$k") ;; esac
  done
  if [ ${#plain[@]} -gt 0 ]; then
    xz_sandbox "$W/b" "${plain[@]}"
    mapfile -t ks < <(kargs "${plain[@]}")
    sandbox_dkms "$W/b" install dkms_example/1.0 -a x86_64 "${ks[@]}" >"$W/b.log" 2>&1 ||
      { cat "$W/b.log"; die "dkms install (xz variant) failed"; }
  fi
  xz_sandbox "$W/n" "$@"
  mapfile -t ks < <(kargs "$@")
  PATH=$(path_without_xz) sandbox_dkms "$W/n" install dkms_example/1.0 -a x86_64 "${ks[@]}" >"$W/n.log" 2>&1 ||
    { cat "$W/n.log"; die "dkms install (native xz variant) failed"; }
  for k in "$@"; do
    case $(installed "$W/n" "$k") in *.ko.xz) ;; *) die "native variant for $k is not .ko.xz" ;; esac
  done
  big_modules "$@"
}

# BIG lists real modules, dependencies first, that big_modules has dkms
# sign and compress natively.
BIG=(crc16 mbcache jbd2 ext4)

# big_modules KVER... builds and installs a dkms package whose MAKE copies
# the kernel's own BIG modules (signatures cut off) in sandbox X, with a
# PATH without xz.
big_modules() {
  local k m f ks i=0
  xz_sandbox "$W/x" "$@"
  rm -rf "$W/x/src/dkms_example-1.0"
  mkdir -p "$W/x/src/bigmod-1.0"
  {
    echo 'PACKAGE_NAME=bigmod'
    echo 'PACKAGE_VERSION=1.0'
    echo "MAKE[0]=\"cp $W/big/\$kernelver/*.ko .\""
    echo 'CLEAN=true'
    for m in "${BIG[@]}"; do
      echo "BUILT_MODULE_NAME[$i]=$m"
      echo "DEST_MODULE_LOCATION[$i]=/updates"
      i=$((i + 1))
    done
  } >"$W/x/src/bigmod-1.0/dkms.conf"
  echo 'The modules are copied from the kernel by MAKE.' >"$W/x/src/bigmod-1.0/README"
  for k in "$@"; do
    mkdir -p "$W/big/$k"
    for m in "${BIG[@]}"; do
      f=$(find "/lib/modules/$k/kernel" -name "$m.ko*" | head -1)
      [ -n "$f" ] || die "no $m module for $k"
      strip_signature "$f" "$W/big/$k/$m.ko"
    done
  done
  mapfile -t ks < <(kargs "$@")
  PATH=$(path_without_xz) sandbox_dkms "$W/x" install bigmod/1.0 -a x86_64 "${ks[@]}" >"$W/x.log" 2>&1 ||
    { cat "$W/x.log"; die "dkms install (big native modules) failed"; }
}

# xz_sandbox DIR KVER... makes a sandbox whose install trees hold a
# *.ko.xz, so that dkms compresses the example with xz.
xz_sandbox() {
  local dir=$1 k; shift
  make_sandbox "$dir" "$@"
  [ -f "$W/marker.ko" ] || echo 'int dkms_boot_marker;' | gcc -x c -c -o "$W/marker.ko" -
  for k in "$@"; do
    mkdir -p "$dir/modules/$k/kernel"
    xz -c "$W/marker.ko" >"$dir/modules/$k/kernel/zz_marker.ko.xz"
  done
}

# path_without_xz prints a directory of links to every program on PATH
# except xz, made once.
path_without_xz() {
  local d f
  if [ ! -d "$W/noxz" ]; then
    mkdir "$W/noxz"
    for d in ${PATH//:/ }; do
      for f in "$d"/*; do
        [ "${f##*/}" != xz ] && [ ! -e "$W/noxz/${f##*/}" ] && ln -s "$f" "$W/noxz/${f##*/}"
      done
    done
  fi
  echo "$W/noxz"
}

# strip_signature IN OUT writes IN (decompressed) without its appended
# signature: module | PKCS#7 | 12-byte trailer ending in the big-endian
# signature length | "~Module signature appended~\n" (28 bytes).
strip_signature() {
  local raw=$W/strip.tmp size siglen
  case $1 in *.xz) xz -dc "$1" >"$raw" ;; *) cp "$1" "$raw" ;; esac
  [ "$(tail -c 28 "$raw" | head -c 27)" = "~Module signature appended~" ] || die "$1 is not signed"
  size=$(stat -c %s "$raw")
  siglen=$(tail -c 32 "$raw" | head -c 4 | od -An -tu1 | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  head -c $((size - 28 - 12 - siglen)) "$raw" >"$2"
}

# build_loader compiles finit: finit_module(2) with MODULE_INIT_COMPRESSED_FILE
# for *.xz, so that the kernel, not kmod, decompresses the module.
build_loader() {
  cat >"$W/finit.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strlen(argv[1]) : 0;
	int flags = n > 3 && !strcmp(argv[1] + n - 3, ".xz") ? 4 : 0; /* MODULE_INIT_COMPRESSED_FILE */
	int fd = argc > 1 ? open(argv[1], O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 || syscall(SYS_finit_module, fd, "", flags) != 0) {
		perror("finit_module");
		return 1;
	}
	return 0;
}
EOF
  gcc -static -O2 -o "$W/finit" "$W/finit.c" 2>"$W/finit.log" || { rm -f "$W/finit"; echo "$prog: note: no static finit loader (see $W/finit.log)" >&2; }
}

# plan_kernel KVER STAGE copies KVER's modules into STAGE/root/modules and
# writes the plan: "idx phase file loader expect" lines. Phase 2 runs after
# sig_enforce is turned on.
plan_kernel() {
  local k=$1 r=$2/root f m name loader i=0 files=()
  mkdir -p "$r/modules"
  files+=("$(installed "$W/a" "$k")")
  [ ! -d "$W/b/modules/$k" ] || files+=("$(installed "$W/b" "$k")")
  cp "$(installed "$W/n" "$k")" "$W/native-$k.ko.xz"
  files+=("$W/native-$k.ko.xz")
  for f in "${files[@]}"; do
    name=${f##*/}
    [[ $name != native-* ]] || name=native-dkms_example.ko.xz
    cp "$f" "$r/modules/$name"
    echo "$i 1 $name kmod load"; i=$((i + 1))
    if [[ $f == *.xz && -x $W/finit ]] && grep -q '^CONFIG_MODULE_DECOMPRESS=y' "/boot/config-$k" 2>/dev/null; then
      echo "$i 1 $name finit load"; i=$((i + 1))
    fi
  done
  for m in "${BIG[@]}"; do
    f=$W/x/modules/$k/updates/dkms/$m.ko.xz
    [ -f "$f" ] || die "dkms did not install $f"
    cp "$f" "$r/modules/big-$m.ko.xz"
    loader=kmod
    if [[ -x $W/finit ]] && grep -q '^CONFIG_MODULE_DECOMPRESS=y' "/boot/config-$k" 2>/dev/null; then loader=finit; fi
    echo "$i 1 big-$m.ko.xz $loader resident $m"; i=$((i + 1))
  done
  strip_signature "${files[0]}" "$r/modules/unsigned.ko"
  echo "$i 2 ${files[0]##*/} kmod reject-key"; i=$((i + 1))
  echo "$i 2 unsigned.ko kmod reject-unsigned"
}

# copy_with_libs SRC DST copies an executable and its shared libraries.
copy_with_libs() {
  local lib
  cp -L "$1" "$R$2"
  { ldd "$1" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
  done
}

# make_initramfs STAGE writes STAGE/initrd.gz: busybox, kmod, the finit
# loader, the modules and plan, and /init, which runs the plan.
make_initramfs() {
  R=$1/root
  mkdir -p "$R"/bin "$R"/dev "$R"/proc "$R"/sys "$R"/kmod
  cp "$(command -v busybox)" "$R/bin/busybox"
  copy_with_libs "$(command -v kmod)" /kmod/kmod
  ln -s kmod "$R/kmod/insmod"
  [ ! -x "$W/finit" ] || cp "$W/finit" "$R/bin/finit"
  cat >"$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "QB-BOOT $(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"
while read -r idx phase file loader expect mod; do
  if [ "$phase" = 2 ] && [ -z "$enforced" ]; then
    echo 1 >/sys/module/module/parameters/sig_enforce
    enforced=$(cat /sys/module/module/parameters/sig_enforce)
    echo "QB-ENFORCE $enforced"
  fi
  n=$(dmesg | wc -l)
  if [ "$loader" = finit ]; then out=$(finit "/modules/$file" 2>&1); else out=$(/kmod/insmod "/modules/$file" 2>&1); fi
  rc=$?
  mod=${mod:-dkms_example}
  if grep -q "^$mod " /proc/modules; then st=LOADED; [ "$mod" != dkms_example ] || rmmod dkms_example; else st=NOT_LOADED; fi
  [ -z "$out" ] || echo "$out" | sed "s/^/QB-OUT $idx /"
  dmesg | tail -n +$((n + 1)) | sed "s/^/QB-KMSG $idx /"
  echo "QB-RESULT $idx $st rc=$rc $loader $file expect=$expect"
done </modules/plan
echo "QB-TAINT $(cat /proc/sys/kernel/tainted)"
echo "QB-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
  chmod 755 "$R/init"
  (cd "$R" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$1/initrd.gz"
}

# boot KVER STAGE LOG boots the kernel with STAGE/initrd.gz, console to LOG.
boot() {
  local cpu=qemu64
  [ "$ACCEL" != kvm ] || cpu=host,-arch-capabilities
  # In the background, so that a signal to us runs cleanup at once.
  timeout "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -cpu "$cpu" -m 512 -smp 1 \
    -nographic -no-reboot -nic none -kernel "/boot/vmlinuz-$1" -initrd "$2/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet" </dev/null >"$3" 2>&1 &
  QPID=$!
  wait "$QPID" || true
  QPID=
}

# cleanup stops a running guest and removes the work directory unless it
# is to be kept (QEMU_BOOT_KEEP=1, or after a failure).
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  [ -z "${QPID:-}" ] || kill "$QPID" 2>/dev/null || true
  if [ "${QEMU_BOOT_KEEP:-}" = 1 ]; then echo "$prog: work dir kept: $W" >&2; else rm -rf "$W"; fi
}

# check_step LOG IDX EXPECT reports whether plan step IDX did what it
# should: loaded with our marker, or refused for the expected reason.
check_step() {
  local log=$1 idx=$2 kmsg
  kmsg=$(grep "^QB-KMSG $idx " "$log" || true)
  case $3 in
    load) grep -q "^QB-RESULT $idx LOADED " "$log" && grep -qF "$MARKER" <<<"$kmsg" &&
      ! grep -q 'Loading of unsigned module' <<<"$kmsg" ;;
    reject-key) grep -q "^QB-RESULT $idx NOT_LOADED " "$log" &&
      grep -q 'Loading of module with unavailable key is rejected' <<<"$kmsg" ;;
    resident) grep -q "^QB-RESULT $idx LOADED " "$log" ;;
    reject-unsigned) grep -q "^QB-RESULT $idx NOT_LOADED " "$log" &&
      grep -q 'Loading of unsigned module is rejected' <<<"$kmsg" ;;
    *) return 1 ;;
  esac
}

# verdict KVER STAGE LOG prints each step with its kernel messages and
# returns non-zero when any step failed or the guest did not finish.
verdict() {
  local log=$3.clean idx file loader expect mod bad=0
  tr -d '\r' <"$3" >"$log"
  grep -q '^QB-DONE' "$log" || { echo "  guest did not finish (log: $3)"; tail -n 20 "$log" | sed 's/^/  | /'; return 1; }
  while read -r idx _ file loader expect mod; do
    if check_step "$log" "$idx" "$expect"; then echo "  ok   $loader $file: $expect${mod:+ $mod}"
    else echo "  FAIL $loader $file: $expect${mod:+ $mod}"; bad=1; fi
    grep "^QB-\(OUT\|KMSG\) $idx " "$log" | sed 's/^QB-[A-Z]* [0-9]* /       /'
  done <"$2/root/modules/plan"
  echo "  $(grep -m1 '^QB-ENFORCE' "$log" | sed 's/QB-ENFORCE/sig_enforce after switch:/')" \
    "$(grep -m1 '^QB-TAINT' "$log" | sed 's/QB-TAINT/tainted:/')"
  return $bad
}

# test_kernel KVER boots KVER with its modules and prints PASS or FAIL.
test_kernel() {
  local k=$1 stage=$W/boot-$1 t0 rc=0
  if [ ! -r "/boot/vmlinuz-$k" ]; then
    echo "$prog: FAIL $k: no /boot/vmlinuz-$k (INITRD=No apt-get install linux-image-$k)"
    return 1
  fi
  mkdir -p "$stage/root/modules"
  plan_kernel "$k" "$stage" >"$stage/root/modules/plan"
  make_initramfs "$stage"
  t0=$(now)
  boot "$k" "$stage" "$stage/console.log"
  local took; took=$(since "$t0")
  echo "$prog: $k (accel=$ACCEL, boot+tests ${took}s):"
  verdict "$k" "$stage" "$stage/console.log" || rc=1
  if [ $rc = 0 ]; then echo "$prog: PASS $k boot=${took}s"; else echo "$prog: FAIL $k boot=${took}s log=$stage/console.log"; fi
  return $rc
}

main() {
  local kernels=("$@") k fail=0 t0 tb
  [ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <(default_kernels)
  [ ${#kernels[@]} -gt 0 ] || die "no Debian 6.1/6.12 kernel headers in /lib/modules"
  check_tools
  t0=$(now)
  W=$(mktemp -d "${TMPDIR:-/tmp}/qemu-boot.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  build_dkms
  build_loader
  tb=$(now)
  build_modules "${kernels[@]}"
  echo "$prog: built and installed with our dkms for ${kernels[*]} in $(since "$tb")s"
  for k in "${kernels[@]}"; do
    test_kernel "$k" || { fail=1; QEMU_BOOT_KEEP=1; }
  done
  echo "$prog: total $(since "$t0")s"
  exit $fail
}

main "$@"
