#!/bin/sh
# install.sh: build dkms and install it with its distribution files.
#
# Usage: scripts/install.sh [--prefix DIR] [--destdir DIR] [--binary FILE]
#
#   --prefix DIR   where /usr-like files go (default /usr): DIR/sbin/dkms,
#                  DIR/lib/dkms, DIR/share/...; /etc and /var stay absolute
#   --destdir DIR  stage everything under DIR (packaging, tests)
#   --binary FILE  install FILE instead of building ./cmd/dkms with go
#
# Installs the Debian/Ubuntu /etc/kernel hooks and common.postinst, the
# kernel-install plugin, dkms.service, the pacman hooks, bash and zsh
# completion and the man page; each is inert on systems that do not use it.
# /etc/dkms/framework.conf is created only when absent, so an admin's
# settings survive reinstalls.
set -eu

prefix=/usr
destdir=
binary=
while [ $# -gt 0 ]; do
	case $1 in
	--prefix) prefix=$2; shift 2 ;;
	--prefix=*) prefix=${1#*=}; shift ;;
	--destdir) destdir=$2; shift 2 ;;
	--destdir=*) destdir=${1#*=}; shift ;;
	--binary) binary=$2; shift 2 ;;
	--binary=*) binary=${1#*=}; shift ;;
	-h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
dist=$top/dist
sbindir=$prefix/sbin
libdir=$prefix/lib/dkms

if [ -z "$binary" ]; then
	binary=$(mktemp -d)/dkms
	trap 'rm -rf "${binary%/dkms}"' EXIT
	(cd "$top" && go build -trimpath -o "$binary" ./cmd/dkms)
fi

# put MODE SRC DEST: install one file, pointing its /usr/sbin/dkms and
# /usr/lib/dkms references at the chosen prefix.
put() {
	mkdir -p "$destdir$(dirname "$3")"
	sed -e "s|/usr/sbin/dkms|$sbindir/dkms|g" -e "s|/usr/lib/dkms|$libdir|g" \
		"$2" >"$destdir$3.tmp"
	chmod "$1" "$destdir$3.tmp"
	mv -f "$destdir$3.tmp" "$destdir$3"
}

mkdir -p "$destdir$sbindir"
install -m 0755 "$binary" "$destdir$sbindir/dkms"

put 0755 "$dist/kernel-hook" "$libdir/kernel-hook"
put 0644 "$dist/hook-functions" "$libdir/hook-functions"
put 0755 "$dist/debian/common.postinst" "$libdir/common.postinst"
put 0755 "$dist/debian/dkms_autoinstaller" "$libdir/dkms_autoinstaller"
put 0755 "$dist/debian/postinst" /etc/kernel/postinst.d/dkms
put 0755 "$dist/debian/postinst" /etc/kernel/header_postinst.d/dkms
put 0755 "$dist/debian/preinst" /etc/kernel/preinst.d/dkms
put 0755 "$dist/debian/prerm" /etc/kernel/prerm.d/dkms
put 0755 "$dist/systemd/40-dkms.install" "$prefix/lib/kernel/install.d/40-dkms.install"
put 0644 "$dist/systemd/dkms.service" "$prefix/lib/systemd/system/dkms.service"
put 0755 "$dist/arch/alpm-hook" "$libdir/alpm-hook"
put 0644 "$dist/arch/70-dkms-install.hook" "$prefix/share/libalpm/hooks/70-dkms-install.hook"
put 0644 "$dist/arch/71-dkms-remove.hook" "$prefix/share/libalpm/hooks/71-dkms-remove.hook"
put 0644 "$dist/bash-completion/dkms" "$prefix/share/bash-completion/completions/dkms"
put 0644 "$dist/zsh-completion/_dkms" "$prefix/share/zsh/site-functions/_dkms"
put 0644 "$top/docs/dkms.8" "$prefix/share/man/man8/dkms.8"

mkdir -p "$destdir/etc/dkms/framework.conf.d" "$destdir/var/lib/dkms"
if [ ! -e "$destdir/etc/dkms/framework.conf" ]; then
	put 0644 "$dist/framework.conf" /etc/dkms/framework.conf
fi
echo "dkms installed under ${destdir:-/} (prefix $prefix)"
