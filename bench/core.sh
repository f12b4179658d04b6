#!/usr/bin/env bash
# Wall time of add, build, install, status, uninstall and remove of the
# example module on the 6.1 kernel, next to the bare make and depmod they
# wrap, and of `dkms status` on a tree of 40 module versions on 2 kernels.
# build_own is the build's own time: its wall time less that of the make it
# ran (timed by a wrapper found first in PATH), in the same run.
#
#   bash bench/core.sh [RUNS]        (needs test/setup.sh's packages)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
k61=$(ls -d /lib/modules/6.1.*-amd64 | head -n1 | xargs basename)
k612=$(ls -d /lib/modules/6.12.*-amd64 | head -n1 | xargs basename)
# BENCH_DIR keeps the trees afterwards (for profiling); default: a temp dir.
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
dkms=$work/dkms-bench
go build -o "$dkms" ./cmd/dkms
mkdir -p "$work/bin"
printf '#!/bin/bash\ns=$(date +%%s%%N); %s "$@"; rc=$?; e=$(date +%%s%%N)\necho $(( (e - s) / 1000000 )) >> %q; exit $rc\n' \
    "$(command -v make)" "$work/make-ms" > "$work/bin/make"
chmod +x "$work/bin/make"

sandbox() { # fresh trees under $work/sb
    rm -rf "$work/sb"
    mkdir -p "$work/sb"/{etc,dkms,src}
    for k in "$k61" "$k612"; do
        mkdir -p "$work/sb/modules/$k"
        ln -s "$(realpath /lib/modules/$k/build)" "$work/sb/modules/$k/build"
        : > "$work/sb/modules/$k/modules.dep"
    done
    printf 'dkms_tree=%s\nsource_tree=%s\ninstall_tree=%s\nmok_signing_key=%s\nmok_certificate=%s\n' \
        "$work/sb/dkms" "$work/sb/src" "$work/sb/modules" "$work/sb/mok.key" "$work/sb/mok.pub" > "$work/sb/etc/framework.conf"
    cp -r examples/dkms-example "$work/sb/src/dkms_example-1.0"
}
export DKMS_CONFDIR=$work/sb/etc

ms() { # ms CMD...: run, print elapsed milliseconds
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A t
for ((r = 0; r < runs; r++)); do
    sandbox
    $dkms generate_mok >/dev/null # key generation is a one-time cost, not build's
    t[add]+="$(ms $dkms add dkms_example/1.0) "
    rm -f "$work/make-ms"
    b_ms=$(PATH=$work/bin:$PATH ms "$dkms" build dkms_example/1.0 -k "$k61")
    t[build]+="$b_ms "
    t[build_own]+="$(( b_ms - $(tail -n1 "$work/make-ms") )) " # the outer make ends last
    t[install]+="$(ms $dkms install dkms_example/1.0 -k $k61) "
    t[status]+="$(ms $dkms status) "
    t[uninstall]+="$(ms $dkms uninstall dkms_example/1.0 -k $k61) "
    t[remove]+="$(ms $dkms remove dkms_example/1.0 --all) "
    b=$work/bare; rm -rf "$b"; cp -r examples/dkms-example "$b"
    t[bare_make]+="$(ms make -j"$(nproc)" KERNELRELEASE=$k61 -C /lib/modules/$k61/build M=$b) "
    mkdir -p "$work/base/lib"; ln -sfn "$work/sb/modules" "$work/base/lib/modules"
    t[bare_depmod]+="$(ms depmod -a -b "$work/base" "$k61") "
done
printf '%-12s %8s   (median of %d runs, 6.1 kernel %s)\n' step ms "$runs" "$k61"
for step in add build build_own install status uninstall remove bare_make bare_depmod; do
    printf '%-12s %8s\n' "$step" "$(tr ' ' '\n' <<< "${t[$step]}" | grep . | median)"
done

# status on 40 module versions x 2 kernels: two real builds, the rest
# copies of them under other names (as the testbed's status bench does).
sandbox
$dkms install dkms_example/1.0 -k $k61 -k $k612 >/dev/null
for i in $(seq -w 1 39); do
    m=tbstat$i
    cp -r "$work/sb/src/dkms_example-1.0" "$work/sb/src/$m-1.0"
    sed -i "s/^PACKAGE_NAME=.*/PACKAGE_NAME=$m/" "$work/sb/src/$m-1.0/dkms.conf"
    mkdir -p "$work/sb/dkms/$m/1.0"
    ln -s "$work/sb/src/$m-1.0" "$work/sb/dkms/$m/1.0/source"
    cp -r "$work/sb/dkms/dkms_example/1.0/$k61" "$work/sb/dkms/dkms_example/1.0/$k612" "$work/sb/dkms/$m/1.0/"
done
st=()
for ((r = 0; r < runs; r++)); do st+=("$(ms $dkms status)"); done
echo "status, 40 modules x 2 kernels: $(printf '%s\n' "${st[@]}" | median) ms ($($dkms status | wc -l) lines)"


# The same listing for a tree our dkms built itself (each build keeps a
# record of its modules, so status reads no dkms.conf): 40 modules on two
# stand-in kernels whose "headers" compile with plain gcc.
sandbox
for fk in 6.1.0-bench 6.12.0-bench; do
    mkdir -p "$work/sb/modules/$fk/build/include"
    printf 'all modules:\n\t@$(MAKE) --no-print-directory -C $(M) -f $(CURDIR)/fake.mk\n' > "$work/sb/modules/$fk/build/Makefile"
    printf 'include Kbuild\nall: $(obj-m:.o=.ko)\n%%.ko: %%.c\n\t@gcc -c -o $@ $<\n' > "$work/sb/modules/$fk/build/fake.mk"
done
for i in $(seq -w 1 40); do
    m=own$i; d=$work/sb/src/$m-1.0; mkdir -p "$d"
    printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nDEST_MODULE_LOCATION[0]=/updates/dkms\n' $m > "$d/dkms.conf"
    echo "obj-m := $m.o" > "$d/Kbuild"; echo "int $m;" > "$d/$m.c"
    $dkms build $m/1.0 -k 6.1.0-bench -k 6.12.0-bench -a x86_64 >/dev/null
done
st=()
for ((r = 0; r < runs; r++)); do st+=("$(ms $dkms status)"); done
echo "status, 40 modules x 2 kernels built by this dkms: $(printf '%s\n' "${st[@]}" | median) ms ($($dkms status | wc -l) lines)"
