#!/bin/sh
# package.sh: build dkms and write its packages: a .deb, an .rpm and an
# Arch Linux package, named dkms-go, that provide, conflict with and
# replace "dkms", so module packages depending on dkms take this one.
#
# Usage: scripts/package.sh [OUTDIR]     (default: ./packages)
#
# Prints the path of each package written, one a line. The files are the
# ones scripts/install.sh installs (staged with --destdir); the packages
# are written by tools/pkgdkms with nfpm. The binary is static
# (CGO_ENABLED=0): it needs no libc of the target. Environment: DKMS_PKG_VERSION
# (default: the dkms release it implements, +go and the commit count),
# DKMS_PKG_MAINTAINER (default: the last commit's author),
# SOURCE_DATE_EPOCH (time stamps, for reproducible packages).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/packages}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$top"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$tmp/dkms" ./cmd/dkms
sh scripts/install.sh --destdir "$tmp/stage" --binary "$tmp/dkms" >/dev/null
ref=$("$tmp/dkms" --version)
ref=${ref#dkms-}
count=$(git rev-list --count HEAD 2>/dev/null || echo 0)
version=${DKMS_PKG_VERSION:-$ref+go$count}
maintainer=${DKMS_PKG_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || echo 'dkms-go maintainers')}
mkdir -p "$out"
go run ./tools/pkgdkms -stage "$tmp/stage" -out "$out" -version "$version" \
	-dkms-version "$ref" -maintainer "$maintainer" -scripts "$top/dist/package"
