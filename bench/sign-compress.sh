#!/usr/bin/env bash
# sign-compress.sh: time native signing and compression (internal/sign,
# internal/compress) next to the tools the reference dkms runs: the kernel's
# sign-file, `xz --check=crc32 --lzma2=dict=1MiB`, `zstd -q -T0`, `gzip`.
#
# Input: 1 MB and 20 MB cut from real decompressed modules (MODULES_DIR,
# default the first /lib/modules/* holding .ko files), else from binaries in
# /usr/bin. SIGN_FILE overrides the sign-file found under /usr/lib/linux-kbuild-*.
# Usage: bench/sign-compress.sh [benchtime, default 3x]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-3x}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpus=$work/corpus
find_modules() {
	local d
	for d in ${MODULES_DIR:-/lib/modules/*}; do
		if find "$d" -name '*.ko*' -print -quit 2>/dev/null | grep -q .; then
			find "$d" -name '*.ko*' | sort
			return
		fi
	done
}
while read -r m; do
	case $m in
	*.ko.xz) xz -dc "$m" ;;
	*.ko.zst) zstd -dcq "$m" ;;
	*.ko.gz) gzip -dc "$m" ;;
	*.ko) cat "$m" ;;
	esac >>"$corpus" 2>/dev/null || true
	[ "$(stat -c %s "$corpus")" -ge 21000000 ] && break
done < <(find_modules)
if [ ! -s "$corpus" ] || [ "$(stat -c %s "$corpus")" -lt 21000000 ]; then
	echo "note: not enough modules found, using /usr/bin binaries as input"
	cat /usr/bin/* 2>/dev/null | head -c 21000000 >"$corpus"
fi
head -c 1048576 "$corpus" >"$work/1MB"
head -c 20971520 "$corpus" >"$work/20MB"

# timed LABEL OUT CMD...: run CMD, print seconds and the size of OUT.
timed() {
	local label=$1 out=$2 start end
	shift 2
	start=$(date +%s.%N)
	"$@"
	end=$(date +%s.%N)
	printf '%-44s %8.3f s %10d bytes\n' "$label" "$(echo "$end - $start" | bc)" "$(stat -c %s "$out")"
}

echo "== CLI tools"
for size in 1MB 20MB; do
	in=$work/$size
	command -v xz >/dev/null && timed "xz --check=crc32 --lzma2=dict=1MiB $size" "$work/o.xz" \
		sh -c "xz --check=crc32 --lzma2=dict=1MiB -c '$in' >'$work/o.xz'"
	command -v zstd >/dev/null && timed "zstd -q -T0 $size" "$work/o.zst" \
		sh -c "zstd -q -T0 -c '$in' >'$work/o.zst'"
	command -v gzip >/dev/null && timed "gzip -n $size" "$work/o.gz" \
		sh -c "gzip -n -c '$in' >'$work/o.gz'"
done

sign_file=${SIGN_FILE:-$(ls /usr/lib/linux-kbuild-*/scripts/sign-file 2>/dev/null | head -1 || true)}
if [ -n "$sign_file" ] && command -v openssl >/dev/null; then
	openssl req -new -x509 -nodes -days 36500 -subj "/CN=DKMS module signing key" \
		-newkey rsa:2048 -keyout "$work/k.pem" -outform DER -out "$work/c.der" 2>/dev/null
	for size in 1MB 20MB; do
		for hash in sha256 sha512; do
			cp "$work/$size" "$work/m.ko"
			timed "sign-file $hash $size" "$work/m.ko" "$sign_file" "$hash" "$work/k.pem" "$work/c.der" "$work/m.ko"
		done
	done
else
	echo "sign-file or openssl not found: skipping sign-file timings"
fi

echo "== ours (go test -bench; ns/op, MB/s, out-bytes = compressed size)"
DKMS_BENCH_INPUT=$corpus go test -run '^$' -bench 'BenchmarkCompress|BenchmarkSign' \
	-benchtime "$benchtime" ./internal/compress/ ./internal/sign/ | grep -E '^Benchmark'
