#!/usr/bin/env bash
# Installs what dkms's tests and the README demo need on a Debian 12
# machine: a compiler and make, kmod (depmod, modinfo), the 6.1 and 6.12
# kernel headers, the small tools the tests compare against, and the
# package tools that check the packages dkms writes (dpkg-deb comes with
# dpkg; rpm, lintian) and zsh for its completion.
# Safe to run again; it installs only what is missing.
set -euo pipefail

pkgs=(build-essential kmod linux-headers-amd64 linux-headers-6.12-amd64 pahole
      patch xz-utils zstd gzip jq openssl bc shellcheck groff-base
      rpm lintian zsh)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "test/setup.sh: run as root to install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # The 6.12 headers pull in the 6.12 image; do not spend time building
    # its initramfs, tests never boot the host.
    INITRD=No apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
