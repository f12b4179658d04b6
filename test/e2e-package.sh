#!/usr/bin/env bash
# e2e-package.sh: our package as the system's dkms, end to end, in a
# throw-away copy of the testbed chroot (see ../shared/tools/testbed).
#
# Usage (as root): test/e2e-package.sh [DEB]
#
# Builds the .deb with scripts/package.sh (unless DEB is given), then in a
# copy of the testbed's Debian 12 root (an overlay on it, or with
# E2E_COPY=cp a `cp -a`; the testbed itself is never changed):
#   1. removes the bash dkms the testbed installed from source (make
#      install-debian, plus its dkms-ref and dkms-debian copies), so no
#      bash dkms remains;
#   2. dpkg -i our .deb, twice (its scripts are idempotent);
#   3. apt-get install acpi-call-dkms from the Debian archive: it must
#      build and install the module for both kernels through our dkms and
#      exit 0; dkms status shows it;
#   4. unbuilds it on the newest kernel and runs
#      /etc/kernel/postinst.d/dkms for that kernel: autoinstalled again;
#   5. apt-get purge acpi-call-dkms: no trace in /var/lib/dkms or in
#      /lib/modules/*/updates;
#   6. mkdeb of the bundled example module built for both kernels, the
#      module removed again, the package installed with dpkg: the
#      prebuilt modules are installed without building; then mkbmdeb,
#      installed with dpkg: depmod knows the module; both purged clean;
#   7. dpkg --purge our package: the dkms tree keeps the signing key.
# Prints PASS or FAIL for each check and exits 1 if any failed, 77 (with
# a SKIPPED line) when there is no testbed. It takes minutes (the archive,
# two module builds, depmod on 6.12), so test/run.sh does not run it.
#
# The checks below are sh -c scripts run in the chroot: their $ expand there.
# shellcheck disable=SC2016
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tools=${TESTBED_TOOLS:-$top/../shared/tools/testbed}
TESTBED=${TESTBED:-${XDG_CACHE_HOME:-$HOME/.cache}/dkms-testbed}

if [ "${1:-}" = --inside ]; then
	inside=1
	shift
fi

skip() {
	echo "SKIPPED: $*"
	exit 77
}

if [ -z "${inside:-}" ]; then
	[ "$(id -u)" = 0 ] || skip "must run as root"
	[ -x "$TESTBED/root/usr/bin/apt-get" ] || skip "no testbed at $TESTBED/root (run $tools/testbed-setup.sh)"
	[ -r "$tools/testbed-common.sh" ] || skip "testbed tools not found at $tools (set TESTBED_TOOLS)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/dkms-e2e.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	deb=${1:-}
	if [ -z "$deb" ]; then
		deb=$(bash "$top/scripts/package.sh" "$work/pkgs" | grep '\.deb$')
	fi
	echo "package: $deb ($(stat -c %s "$deb") bytes)"
	# Everything else runs in a private mount namespace: the overlay
	# vanishes with it.
	unshare --mount --propagation private -- bash "$0" --inside "$work" "$deb"
	exit
fi

work=$1
deb=$2
# shellcheck source=/dev/null
. "$tools/testbed-common.sh"
tb_lock # the testbed must not change under the overlay
root=$work/root
mkdir -p "$root"
if [ "${E2E_COPY:-overlay}" = cp ]; then
	cp -a "$TESTBED/root/." "$root/"
else
	mkdir -p "$work/upper" "$work/ovwork"
	mount -t overlay overlay -o "lowerdir=$TESTBED/root,upperdir=$work/upper,workdir=$work/ovwork" "$root"
fi
cp "$deb" "$root/tmp/"
mkdir -p "$root/tmp/example"
cp -r "$top/examples/dkms-example/." "$root/tmp/example/"
export TB_ROOT=$root
read -r k61 k612 <<<"$(tr '\n' ' ' <"$TESTBED/kernels")"
failed=0

# inroot CMD...: run CMD in the copy; its output goes to the log and, on
# failure, to the terminal.
inroot() {
	TB_PASSENV="K61 K612" K61=$k61 K612=$k612 tb_chroot "$@" >>"$work/log" 2>&1
}

# check NAME CMD...: PASS when CMD (run in the copy) succeeds.
check() {
	local name=$1
	shift
	echo "== $name" >>"$work/log"
	if inroot "$@"; then
		echo "PASS: $name"
	else
		echo "FAIL: $name"
		failed=1
	fi
}

check "the bash dkms is removed" sh -c '
	rm -f /usr/sbin/dkms /usr/sbin/dkms-ref /usr/sbin/dkms-debian \
		/usr/lib/dkms/common.postinst /usr/lib/dkms/dkms_autoinstaller \
		/usr/lib/kernel/install.d/40-dkms.install \
		/etc/kernel/postinst.d/dkms /etc/kernel/header_postinst.d/dkms \
		/etc/kernel/preinst.d/dkms /etc/kernel/prerm.d/dkms \
		/usr/share/bash-completion/completions/dkms /usr/share/zsh/site-functions/_dkms \
		/usr/share/man/man8/dkms.8 /usr/share/apport/package-hooks/dkms_packages.py \
		/usr/lib/systemd/system/dkms.service
	rm -rf /etc/dkms /var/lib/dkms /usr/share/doc/dkms /opt/dkms-upstream /opt/dkms-debian
	! command -v dkms && ! dpkg -s dkms 2>/dev/null | grep -q "^Status: install" &&
	! grep -rls "^#!/bin/bash" /usr/sbin /usr/lib/dkms 2>/dev/null | xargs -r grep -l "dkms_tree"'
check "dpkg -i our package" sh -c 'dpkg -i /tmp/*.deb && dpkg -i /tmp/*.deb && dkms --version && test -d /var/lib/dkms'
check "it stands in for dkms" sh -c 'dpkg-query -W -f "\${Provides}\n" dkms-go | grep -q "^dkms (= " && apt-cache policy acpi-call-dkms >/dev/null'
check "apt-get update" apt-get update -q
check "apt-get install acpi-call-dkms exits 0" apt-get install -y -q acpi-call-dkms
check "dkms status shows it installed for both kernels" sh -c '
	dkms status && dkms status | grep -qx "acpi-call/1.2.2, $K61, x86_64: installed" &&
	dkms status | grep -qx "acpi-call/1.2.2, $K612, x86_64: installed"'
check "its modules are installed and known to depmod" sh -c '
	ls /lib/modules/$K61/updates/dkms/acpi_call.ko /lib/modules/$K612/updates/dkms/acpi_call.ko.xz &&
	grep -q "updates/dkms/acpi_call.ko:" /lib/modules/$K61/modules.dep &&
	grep -q "updates/dkms/acpi_call.ko.xz:" /lib/modules/$K612/modules.dep'
check "/etc/kernel/postinst.d/dkms autoinstalls it" sh -c '
	dkms unbuild acpi-call/1.2.2 -k $K612 &&
	! dkms status -k $K612 | grep -q installed &&
	/etc/kernel/postinst.d/dkms $K612 /boot/vmlinuz-$K612 &&
	dkms status -k $K612 | grep -qx "acpi-call/1.2.2, $K612, x86_64: installed"'
check "apt-get purge acpi-call-dkms exits 0" apt-get purge -y -q acpi-call-dkms
check "no trace left in /var/lib/dkms and /lib/modules/*/updates" sh -c '
	! ls -d /var/lib/dkms/acpi-call 2>/dev/null &&
	! find /lib/modules/*/updates -name "acpi_call*" | grep -q . &&
	! grep -qs acpi_call /lib/modules/$K61/modules.dep /lib/modules/$K612/modules.dep &&
	! ls -d /usr/src/acpi-call-1.2.2 2>/dev/null'
check "mkdeb: its package installs the prebuilt modules" sh -c '
	cp -r /tmp/example /usr/src/dkms_example-1.0 &&
	dkms build dkms_example/1.0 -k $K61 -k $K612 &&
	dkms mkdeb dkms_example/1.0 -k $K61 -k $K612 &&
	mv /var/lib/dkms/dkms_example/1.0/deb/dkms-example-dkms_1.0_amd64.deb /tmp/ &&
	dkms remove dkms_example/1.0 --all && rm -rf /usr/src/dkms_example-1.0 &&
	dpkg -i /tmp/dkms-example-dkms_1.0_amd64.deb >/tmp/mkdeb.out 2>&1; rc=$?; cat /tmp/mkdeb.out
	[ $rc = 0 ] && ! grep -q "Building module" /tmp/mkdeb.out &&
	dkms status | grep -qx "dkms_example/1.0, $K61, x86_64: installed" &&
	dkms status | grep -qx "dkms_example/1.0, $K612, x86_64: installed" &&
	grep -q "updates/dkms/dkms_example.ko.xz:" /lib/modules/$K612/modules.dep &&
	dpkg --purge dkms-example-dkms && ! ls -d /var/lib/dkms/dkms_example /usr/src/dkms_example-1.0 2>/dev/null &&
	! grep -qs dkms_example /lib/modules/$K61/modules.dep /lib/modules/$K612/modules.dep'
check "mkbmdeb: its package installs the modules without dkms" sh -c '
	cp -r /tmp/example /usr/src/dkms_example-1.0 &&
	dkms build dkms_example/1.0 -k $K61 &&
	dkms mkbmdeb dkms_example/1.0 -k $K61 &&
	mv /var/lib/dkms/dkms_example/1.0/deb/dkms-example-modules-${K61}_1.0_amd64.deb /tmp/ &&
	dkms remove dkms_example/1.0 --all && rm -rf /usr/src/dkms_example-1.0 &&
	dpkg -i /tmp/dkms-example-modules-${K61}_1.0_amd64.deb &&
	grep -q "^updates/dkms/dkms_example.ko:" /lib/modules/$K61/modules.dep &&
	! dkms status | grep -q dkms_example &&
	dpkg --purge dkms-example-modules-$K61 && ! grep -qs dkms_example /lib/modules/$K61/modules.dep'
check "dpkg --purge our package keeps the dkms tree's key" sh -c '
	dpkg --purge dkms-go && ! command -v dkms &&
	{ [ ! -e /var/lib/dkms/mok.key ] || [ -d /var/lib/dkms ]; } && ! [ -e /var/lib/dkms/.dkms.lock ]'

if [ "$failed" != 0 ]; then
	echo "--- log ($work/log) ---"
	cat "$work/log"
	exit 1
fi
if [ -n "${E2E_LOG:-}" ]; then cp "$work/log" "$E2E_LOG"; fi
echo "e2e-package: all checks passed"
