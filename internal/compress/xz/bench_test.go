package xz

import (
	"bytes"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	ulxz "github.com/ulikunitz/xz"
)

// benchEncoders are the encoders bench/xz.sh compares with xz(1): ours,
// in its default and fast modes, and github.com/ulikunitz/xz's writer,
// which dkms used before.
var benchEncoders = []struct {
	name   string
	encode func(w io.Writer, data []byte) error
}{
	{"native", func(w io.Writer, data []byte) error { return encodeAll(w, data, Options{}) }},
	{"fast", func(w io.Writer, data []byte) error { return encodeAll(w, data, Options{Fast: true}) }},
	{"ulikunitz", func(w io.Writer, data []byte) error {
		cfg := ulxz.WriterConfig{DictCap: DefaultDictSize, CheckSum: ulxz.CRC32}
		xw, err := cfg.NewWriter(w)
		if err != nil {
			return err
		}
		if _, err := xw.Write(data); err != nil {
			return err
		}
		return xw.Close()
	}},
}

func encodeAll(w io.Writer, data []byte, o Options) error {
	xw, err := NewWriter(w, o)
	if err != nil {
		return err
	}
	if _, err := xw.Write(data); err != nil {
		return err
	}
	return xw.Close()
}

// countWriter counts what is written to it.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// BenchmarkEncode compresses the file named by DKMS_BENCH_XZ_INPUT
// (bench/xz.sh sets it to real modules), else 4 MB of module-like data,
// reporting the compressed size as out-bytes and the process's CPU time
// (all threads) per operation as cpu-ns/op, next to the wall time.
func BenchmarkEncode(b *testing.B) {
	data := moduleLike(4<<20, 5)
	if path := os.Getenv("DKMS_BENCH_XZ_INPUT"); path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
	for _, enc := range benchEncoders {
		b.Run(enc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var out countWriter
			cpu0 := cpuTime()
			for b.Loop() {
				out = countWriter{}
				if err := enc.encode(&out, data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(out.n), "out-bytes")
		})
	}
}

// cpuTime is the user and system time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBenchEncodersRoundTrip keeps the benchmark's encoders honest.
func TestBenchEncodersRoundTrip(t *testing.T) {
	data := moduleLike(100_000, 6)
	for _, enc := range benchEncoders {
		var buf bytes.Buffer
		if err := enc.encode(&buf, data); err != nil {
			t.Fatal(err)
		}
		if got, err := decode(buf.Bytes()); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: round trip: %v", enc.name, err)
		}
	}
}
