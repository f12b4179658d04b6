#!/usr/bin/env bash
# xz.sh: size and time of xz compression, xz(1) next to our native
# encoder (internal/compress/xz) and to github.com/ulikunitz/xz's, which
# dkms used before, with the parameters kbuild and dkms use
# (--check=crc32 --lzma2=dict=1MiB), on real modules: by default the 6.12
# kernel's amdgpu.ko (29 MB) and usbcore.ko (0.9 MB).
#
# Usage: bench/xz.sh [runs, default 3] [MODULE.ko[.xz]...]
# Times are the median of the runs, wall clock, one thread each; the
# machine's load shows in them, so compare columns of the same run only.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
mods=("$@")
if [ ${#mods[@]} -eq 0 ]; then
	k=$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' | sort | head -1)
	mods=("$k/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz" "$k/kernel/drivers/usb/core/usbcore.ko.xz")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median prints the middle of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# xz_times IN prints the compressed size and the median seconds of xz(1).
xz_times() {
	local t=() i s e
	for ((i = 0; i < runs; i++)); do
		s=$(date +%s.%N)
		xz --check=crc32 --lzma2=dict=1MiB -c "$1" >"$work/out.xz"
		e=$(date +%s.%N)
		t+=("$(echo "$e - $s" | bc)")
	done
	echo "$(stat -c %s "$work/out.xz") $(median "${t[@]}")"
}

go test -c -o "$work/xz.test" ./internal/compress/xz
printf '%-14s %10s | %10s %7s | %10s %7s %6s | %10s %7s %6s\n' module bytes \
	'xz(1)' s native s ratio ulikunitz s ratio
for m in "${mods[@]}"; do
	case $m in
	*.xz) xz -dc "$m" >"$work/in" ;;
	*) cp "$m" "$work/in" ;;
	esac
	read -r xsize xtime < <(xz_times "$work/in")
	declare -A size=() secs=()
	while read -r name _ ns bytes; do
		size[$name]=$bytes
		secs[$name]=$(echo "scale=3; $ns / 1000000000" | bc)
	done < <(DKMS_BENCH_XZ_INPUT=$work/in "$work/xz.test" -test.run '^$' \
		-test.bench '^BenchmarkEncode$' -test.benchtime "${runs}x" |
		awk '/^BenchmarkEncode\// {split($1, a, "[/-]"); for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") ns = $i; else if ($(i+1) == "out-bytes") ob = $i; print a[2], $2, ns, ob}')
	name=$(basename "$m")
	printf '%-14s %10d | %10d %7.2f | %10d %7.2f %6.3f | %10d %7.2f %6.3f\n' "${name%%.*}" \
		"$(stat -c %s "$work/in")" "$xsize" "$xtime" \
		"${size[native]}" "${secs[native]}" "$(echo "scale=3; ${size[native]} / $xsize" | bc)" \
		"${size[ulikunitz]}" "${secs[ulikunitz]}" "$(echo "scale=3; ${size[ulikunitz]} / $xsize" | bc)"
done
