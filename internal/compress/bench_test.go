package compress

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// benchInput returns n bytes of module-like data: taken (repeated if
// short) from the file named by DKMS_BENCH_INPUT, for example a
// concatenation of real decompressed .ko files, else generated.
func benchInput(b *testing.B, n int) []byte {
	b.Helper()
	path := os.Getenv("DKMS_BENCH_INPUT")
	if path == "" {
		return moduleLike(n)
	}
	src, err := os.ReadFile(path)
	if err != nil || len(src) == 0 {
		b.Fatalf("DKMS_BENCH_INPUT: %v (%d bytes)", err, len(src))
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, src[:min(len(src), n-len(out))]...)
	}
	return out
}

// BenchmarkCompress reports speed and, as out-bytes, the compressed size,
// for comparison with the CLIs in bench/sign-compress.sh.
func BenchmarkCompress(b *testing.B) {
	for _, size := range []int{1 << 20, 20 << 20} {
		data := benchInput(b, size)
		for _, m := range Methods[1:] {
			b.Run(fmt.Sprintf("%s/%dMB", m, size>>20), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				var out bytes.Buffer
				for b.Loop() {
					out.Reset()
					if err := Compress(m, &out, bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(out.Len()), "out-bytes")
			})
		}
	}
}

func BenchmarkDecompress(b *testing.B) {
	data := benchInput(b, 20<<20)
	for _, m := range Methods[1:] {
		c := compressed(b, m, data)
		b.Run(fmt.Sprintf("%s/20MB", m), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := decompressed(m, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
