#!/usr/bin/env bash
# autoinstall of 8 small real modules for the 6.1 kernel: serial (-j1)
# against parallel (default -j = CPU count), with the number of depmod and
# initramfs runs each made (counted from --verbose's command echo), and the
# reference dkms's time when it is installed (DKMS_REF=path, or dkms-ref on
# PATH).
#
#   bash bench/autoinstall.sh [MODULES]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-8}
go build -o /tmp/dkms-bench ./cmd/dkms
k=$(ls -d /lib/modules/6.1.*-amd64 | head -n1 | xargs basename)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sandbox() {
    rm -rf "$work/sb"
    mkdir -p "$work/sb"/{etc,dkms,src,modules/$k}
    ln -s "$(realpath /lib/modules/$k/build)" "$work/sb/modules/$k/build"
    : > "$work/sb/modules/$k/modules.dep"
    printf 'dkms_tree=%s\nsource_tree=%s\ninstall_tree=%s\nmok_signing_key=%s\nmok_certificate=%s\n' \
        "$work/sb/dkms" "$work/sb/src" "$work/sb/modules" "$work/sb/mok.key" "$work/sb/mok.pub" > "$work/sb/etc/framework.conf"
    for i in $(seq 1 "$n"); do
        d=$work/sb/src/bench$i-1.0
        cp -r examples/dkms-example "$d"
        sed -i "s/dkms_example/bench$i/g" "$d"/dkms.conf "$d"/Kbuild "$d"/Makefile 2>/dev/null || true
        mv "$d/dkms_example.c" "$d/bench$i.c"
        sed -i "s/dkms_example/bench$i/g" "$d/bench$i.c"
    done
}
export DKMS_CONFDIR=$work/sb/etc

run() { # run LABEL JOBS
    sandbox
    for i in $(seq 1 "$n"); do /tmp/dkms-bench add bench$i/1.0 >/dev/null; done
    # keys exist before timing, so key generation is not counted
    /tmp/dkms-bench generate_mok >/dev/null
    local s e log=$work/$1.log
    s=$(date +%s%N)
    /tmp/dkms-bench autoinstall -k "$k" -j "$2" --verbose > "$log" 2>&1 || true
    e=$(date +%s%N)
    printf '%-10s %6d ms  installed: %s  depmod runs: %s  initramfs runs: %s\n' "$1" $(( (e - s) / 1000000 )) \
        "$(grep -c ': installed' <(/tmp/dkms-bench status))" \
        "$(grep -c '^depmod ' "$log" || true)" "$(grep -cE '^(update-initramfs|dracut|mkinitcpio) ' "$log" || true)"
}
run serial 1
run parallel "$(nproc)"

ref=${DKMS_REF:-$(command -v dkms-ref || true)}
if [ -n "$ref" ]; then
    sandbox
    for i in $(seq 1 "$n"); do "$ref" add bench$i/1.0 --dkmstree "$work/sb/dkms" --sourcetree "$work/sb/src" >/dev/null; done
    s=$(date +%s%N)
    "$ref" autoinstall -k "$k" --dkmstree "$work/sb/dkms" --sourcetree "$work/sb/src" --installtree "$work/sb/modules" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    printf '%-10s %6d ms\n' reference $(( (e - s) / 1000000 ))
else
    echo "reference dkms not found (set DKMS_REF): not measured"
fi
