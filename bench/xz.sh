#!/usr/bin/env bash
# xz.sh: size and time of xz compression, xz(1) next to our native
# encoder (internal/compress/xz; default and fast mode) and to
# github.com/ulikunitz/xz's, which dkms used before, with the parameters kbuild and dkms use
# (--check=crc32 --lzma2=dict=1MiB), on real modules: by default the 6.12
# kernel's amdgpu.ko (29 MB) and usbcore.ko (0.9 MB).
#
# Usage: bench/xz.sh [runs, default 3] [MODULE.ko[.xz]...]
# For each encoder: compressed bytes, ratio to xz(1), and the median over
# the runs of the wall time (s) and of the CPU time (cpu, user+system of
# all threads: ours searches matches in a second goroutine). The
# machine's load shows in the times: compare columns of one run only.
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

# xz_run IN prints xz(1)'s compressed size, median wall and CPU seconds.
xz_run() {
	local walls=() cpus=() i e u s
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -f '%e %U %S' -o "$work/time" \
			xz --check=crc32 --lzma2=dict=1MiB -c "$1" >"$work/out.xz"
		read -r e u s <"$work/time"
		walls+=("$e")
		cpus+=("$(echo "$u + $s" | bc)")
	done
	echo "$(stat -c %s "$work/out.xz") $(median "${walls[@]}") $(median "${cpus[@]}")"
}

# go_run IN prints "name bytes wall cpu" for each Go encoder (mean of the
# runs, as go test reports it).
go_run() {
	DKMS_BENCH_XZ_INPUT=$1 "$work/xz.test" -test.run '^$' \
		-test.bench '^BenchmarkEncode$' -test.benchtime "${runs}x" |
		awk '/^BenchmarkEncode\// {
			split($1, a, "[/-]")
			for (i = 3; i < NF; i++) {
				if ($(i+1) == "ns/op") ns = $i
				if ($(i+1) == "cpu-ns/op") cpu = $i
				if ($(i+1) == "out-bytes") ob = $i
			}
			printf "%s %d %.2f %.2f\n", a[2], ob, ns / 1e9, cpu / 1e9
		}'
}

go test -c -o "$work/xz.test" ./internal/compress/xz
printf '%-9s %9s | %9s %6s %6s' module bytes 'xz(1)' s cpu
for e in native fast ulikunitz; do printf ' | %9s %5s %6s %6s' "$e" ratio s cpu; done
echo
for m in "${mods[@]}"; do
	case $m in
	*.xz) xz -dc "$m" >"$work/in" ;;
	*) cp "$m" "$work/in" ;;
	esac
	read -r xsize xwall xcpu < <(xz_run "$work/in")
	declare -A size=() wall=() cpu=()
	while read -r name bytes w c; do
		size[$name]=$bytes wall[$name]=$w cpu[$name]=$c
	done < <(go_run "$work/in")
	name=$(basename "$m")
	printf '%-9s %9d | %9d %6.2f %6.2f' "${name%%.*}" "$(stat -c %s "$work/in")" "$xsize" "$xwall" "$xcpu"
	for e in native fast ulikunitz; do
		printf ' | %9d %5.3f %6.2f %6.2f' "${size[$e]}" "$(echo "scale=3; ${size[$e]} / $xsize" | bc)" "${wall[$e]}" "${cpu[$e]}"
	done
	echo
done
