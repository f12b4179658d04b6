#!/usr/bin/env bash
# The README's main job: build dkms, then add, build and install the
# bundled example module for a kernel whose headers are installed, into a
# sandbox root (./sandbox by default; never the host's trees), and show
# `dkms status`.
#
#   sudo bash scripts/demo.sh [SANDBOX_DIR] [KERNEL]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(realpath -m "${1:-sandbox}")

need=()
for p in build-essential kmod linux-headers-amd64; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
    [ "$(id -u)" = 0 ] || { echo "demo: run as root to install ${need[*]}" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"
fi

go build -o ./dkms ./cmd/dkms

# A kernel with headers: the one asked for, else the running one, else the
# newest installed.
kernel=${2:-}
if [ -z "$kernel" ]; then
    if [ -d "/lib/modules/$(uname -r)/build/include" ]; then
        kernel=$(uname -r)
    else
        kernel=$(ls -d /lib/modules/*/build/include 2>/dev/null | sort -V | tail -n1 | cut -d/ -f4)
    fi
fi
[ -n "$kernel" ] || { echo "demo: no kernel headers found under /lib/modules" >&2; exit 1; }

# The sandbox: its own dkms tree, source tree, install tree and
# configuration directory; the install tree's kernel links to the real
# headers.
mkdir -p "$root"/{etc/dkms,var/lib/dkms,usr/src,lib/modules/"$kernel"}
ln -sfn "$(realpath "/lib/modules/$kernel/build")" "$root/lib/modules/$kernel/build"
[ -e "$root/lib/modules/$kernel/modules.dep" ] || : > "$root/lib/modules/$kernel/modules.dep"
cat > "$root/etc/dkms/framework.conf" <<CONF
dkms_tree=$root/var/lib/dkms
source_tree=$root/usr/src
install_tree=$root/lib/modules
mok_signing_key=$root/var/lib/dkms/mok.key
mok_certificate=$root/var/lib/dkms/mok.pub
# sign even when the demo runs in a chroot or container (dkms 3.4 skips
# signing there by default)
try_sign_modules=true
CONF
export DKMS_CONFDIR=$root/etc/dkms

./dkms install ./examples/dkms-example -k "$kernel" --force
echo
./dkms status
