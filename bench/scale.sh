#!/usr/bin/env bash
# How status, status --json and an autoinstall with nothing to do grow
# with the tree: 40 module versions x 2 kernels next to 200 x 4, wall
# time (median) and peak memory (maximum resident set, as /usr/bin/time -v
# reports it), on three kinds of tree:
#
#   records   built by this dkms (each build keeps a record of its modules)
#   no-rec    the same tree without the build records, as the reference or
#             a copy leaves it: status must evaluate every dkms.conf; the
#             conf cache (DT/.dkms-conf-cache.json) is warm after the first call
#   cold      no records and the conf cache deleted before every call
#
# and, when the reference dkms is found (DKMS_REF=path, dkms-ref on PATH or
# the testbed's), its status on the same tree without records.
#
#   bash bench/scale.sh [RUNS]     (RUNS default 5; REF_RUNS default 1)
#
# The kernels are stand-ins whose "headers" compile with plain gcc, so the
# trees build in about a minute; odd modules are installed on every kernel
# (AUTOINSTALL=yes), even ones only built.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
ref_runs=${REF_RUNS:-1}
dkms=/tmp/dkms-bench-scale-$$
go build -o "$dkms" ./cmd/dkms
ref=${DKMS_REF:-$(command -v dkms-ref || true)}
tb_ref=${TESTBED:-$HOME/.cache/dkms-testbed}/root/usr/sbin/dkms-ref
[ -n "$ref" ] || [ ! -x "$tb_ref" ] || ref=$tb_ref
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work" "$dkms"' EXIT
export DKMS_CONFDIR=$work/sb/etc

kernels() { # kernels K: the first K stand-in kernel releases
    printf '%s\n' 6.1.0-bench 6.6.0-bench 6.12.0-bench 6.15.0-bench | head -n "$1"
}

sandbox() { # sandbox N K: N modules built (odd ones installed) on K kernels
    local n=$1 nk=$2 k i m d
    rm -rf "$work/sb"
    mkdir -p "$work/sb"/{etc,dkms,src}
    printf 'dkms_tree=%s\nsource_tree=%s\ninstall_tree=%s\n' \
        "$work/sb/dkms" "$work/sb/src" "$work/sb/modules" > "$work/sb/etc/framework.conf"
    local ks=()
    for k in $(kernels "$nk"); do
        ks+=(-k "$k")
        mkdir -p "$work/sb/modules/$k/build/include"
        : > "$work/sb/modules/$k/modules.dep"
        printf 'all modules:\n\t@$(MAKE) --no-print-directory -C $(M) -f $(CURDIR)/fake.mk\n' > "$work/sb/modules/$k/build/Makefile"
        printf 'include Kbuild\nall: $(obj-m:.o=.ko)\n%%.ko: %%.c\n\t@gcc -c -o $@ $<\n' > "$work/sb/modules/$k/build/fake.mk"
    done
    for ((i = 1; i <= n; i++)); do
        m=$(printf 'scale%03d' "$i"); d=$work/sb/src/$m-1.0; mkdir -p "$d"
        printf 'PACKAGE_NAME="%s"\nPACKAGE_VERSION="1.0"\nBUILT_MODULE_NAME[0]="%s"\nDEST_MODULE_LOCATION[0]="/updates/dkms"\n' "$m" "$m" > "$d/dkms.conf"
        (( i % 2 )) && echo 'AUTOINSTALL="yes"' >> "$d/dkms.conf"
        echo "obj-m := $m.o" > "$d/Kbuild"; echo "int $m;" > "$d/$m.c"
        if (( i % 2 )); then
            "$dkms" install "$m/1.0" "${ks[@]}" -a x86_64 >/dev/null
        else
            "$dkms" build "$m/1.0" "${ks[@]}" -a x86_64 >/dev/null
        fi
    done
}

# measure LABEL PREP CMD...: median wall ms and peak RSS (MB) over $runs
# runs (after one warm-up), PREP run before each (untimed).
measure() {
    local label=$1 prep=$2 r s e ms=() kb=() n=$runs; shift 2
    [ "$label" != reference ] || n=$ref_runs
    [ "$label" = reference ] || { $prep; "$@" >/dev/null 2>&1; }
    for ((r = 0; r < n; r++)); do
        $prep
        s=$(date +%s%N)
        /usr/bin/time -f %M -o "$work/rss" "$@" >"$work/out" 2>&1
        e=$(date +%s%N)
        ms+=($(( (e - s) / 1000000 ))); kb+=("$(tail -n1 "$work/rss")")
    done
    printf '%-26s %7s ms %7s MB  (%s lines)\n' "$label" \
        "$(printf '%s\n' "${ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
        "$(printf '%s\n' "${kb[@]}" | sort -n | tail -n1 | awk '{printf "%.1f", $1/1024}')" \
        "$(wc -l < "$work/out")"
}
nothing() { :; }
cold() { rm -f "$work/sb/dkms/.dkms-conf-cache.json"; }
norecords() { find "$work/sb/dkms" -name .dkms-build.json -delete; }

for size in "40 2" "200 4"; do
    read -r n nk <<< "$size"
    s=$(date +%s)
    sandbox "$n" "$nk"
    k1=$(kernels 1)
    echo "== $n module versions x $nk kernels (tree made in $(( $(date +%s) - s )) s; median of $runs runs; peak RSS)"
    measure "status, records" nothing "$dkms" status
    measure "status --json, records" nothing "$dkms" status --json
    measure "autoinstall, records" nothing "$dkms" autoinstall -k "$k1"
    norecords
    measure "status, no-rec" nothing "$dkms" status
    measure "status --json, no-rec" nothing "$dkms" status --json
    measure "autoinstall, no-rec" nothing "$dkms" autoinstall -k "$k1"
    measure "status, cold" cold "$dkms" status
    measure "status --json, cold" cold "$dkms" status --json
    if [ -n "$ref" ]; then
        measure reference nothing "$ref" status --dkmstree "$work/sb/dkms" --sourcetree "$work/sb/src" --installtree "$work/sb/modules"
    fi
done
[ -n "$ref" ] || echo "reference dkms not found (DKMS_REF): not measured"
