package compress

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// tools are the reference CLIs for each method: the test flag, and the
// arguments that decompress to stdout and compress with the options dkms
// or kbuild use.
var tools = map[Method]struct {
	name               string
	decompress, squash []string
}{
	Gzip: {"gzip", []string{"-dc"}, []string{"-n", "-c"}},
	XZ:   {"xz", []string{"-dc"}, []string{"--check=crc32", "--lzma2=dict=1MiB", "-c"}},
	Zstd: {"zstd", []string{"-dcq"}, []string{"-q", "-c"}},
}

func runTool(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// TestCLIAcceptsOurs checks each method both ways against the real tool:
// the CLI tests and decompresses our output, and we decompress the CLI's.
func TestCLIAcceptsOurs(t *testing.T) {
	data := inputs["module"]
	for _, m := range Methods[1:] {
		tool := tools[m]
		t.Run(m.String(), func(t *testing.T) {
			bin := testenv.LookPath(t, tool.name)
			path := filepath.Join(t.TempDir(), "m.ko"+m.Ext())
			if err := os.WriteFile(path, compressed(t, m, data), 0o644); err != nil {
				t.Fatal(err)
			}
			runTool(t, nil, bin, "-t", path)
			if got := runTool(t, nil, bin, append(tool.decompress, path)...); !bytes.Equal(got, data) {
				t.Errorf("%s -d output differs from input", tool.name)
			}
			theirs := runTool(t, data, bin, tool.squash...)
			if got, err := decompressed(m, theirs); err != nil || !bytes.Equal(got, data) {
				t.Errorf("decompressing %s output: %v", tool.name, err)
			}
		})
	}
}

// xzTool is xz(1) with the reference's compress_xz_opts, streaming as
// the Tool dkms builds (there through its runner).
func xzTool(bin string) Tool {
	return func(ctx context.Context, dst io.Writer, src io.Reader) error {
		cmd := exec.CommandContext(ctx, bin, "--check=crc32", "--lzma2=dict=1MiB", "-c")
		cmd.Stdin, cmd.Stdout = src, dst
		return cmd.Run()
	}
}

// xzEncoders are the two ways dkms makes a .ko.xz: the native encoder
// when xz(1) is missing, xz(1) itself when it is there.
func xzEncoders(t *testing.T) map[string]Compressor {
	bin := testenv.LookPath(t, "xz")
	return map[string]Compressor{
		"native": {},
		"xz(1)":  {Tools: map[Method]Tool{XZ: xzTool(bin)}},
	}
}

// TestXZKernelParameters checks, for both encoders, what the kernel's XZ
// decoder needs (xz --robot --list: a CRC32 check and only an LZMA2
// filter with a 1 MiB dictionary in every block), that xz -t accepts the
// file and that our decoder gives the input back.
func TestXZKernelParameters(t *testing.T) {
	data := inputs["module"]
	for name, c := range xzEncoders(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.Compress(t.Context(), XZ, &buf, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.ko.xz")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			runTool(t, nil, "xz", "-t", path)
			if got, err := decompressed(XZ, buf.Bytes()); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Go decoder: %d bytes, %v; want the %d bytes in", len(got), err, len(data))
			}
			checkXZList(t, string(runTool(t, nil, "xz", "--robot", "--list", "-vv", path)))
		})
	}
}

// checkXZList checks xz --robot --list -vv output for the kernel's needs.
func checkXZList(t *testing.T, out string) {
	t.Helper()
	blocks := 0
	for line := range strings.Lines(out) {
		fields := strings.Split(strings.TrimSpace(line), "\t")
		switch fields[0] {
		case "stream":
			if fields[8] != "CRC32" {
				t.Errorf("stream check %q, want CRC32", fields[8])
			}
		case "block":
			blocks++
			if filter := fields[len(fields)-1]; filter != "--lzma2=dict=1MiB" {
				t.Errorf("block filter %q, want --lzma2=dict=1MiB", filter)
			}
		}
	}
	if blocks == 0 {
		t.Errorf("no blocks listed:\n%s", out)
	}
}

// TestXZSizeNearXZUtils compresses real kernel modules (1 MB of them)
// natively and with xz(1): the native file may be at most 3% larger (it
// is about 2% on Debian 12's xz 5.4; the goal is 10%, but a fall back to
// fast-mode parsing, 8%, must show). The encoder choices that matter
// (match finder, parse) show up here as size, not as time.
func TestXZSizeNearXZUtils(t *testing.T) {
	bin := testenv.LookPath(t, "xz")
	data := realModules(t, 1<<20)
	var native, theirs bytes.Buffer
	if err := Compress(XZ, &native, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := xzTool(bin)(t.Context(), &theirs, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	ratio := float64(native.Len()) / float64(theirs.Len())
	t.Logf("%d bytes of modules: native %d, xz(1) %d (%.3f)", len(data), native.Len(), theirs.Len(), ratio)
	if ratio > 1.03 {
		t.Errorf("native xz is %.1f%% larger than xz(1)'s, want at most 3%%", 100*(ratio-1))
	}
}

// realModules returns about n bytes of decompressed .ko.xz modules of an
// installed kernel, in a fixed order; it skips when there are none (CI
// installs the 6.12 image with its headers, so it has them).
func realModules(t *testing.T, n int) []byte {
	t.Helper()
	paths, _ := filepath.Glob("/lib/modules/*/kernel/fs/*/*.ko.xz")
	if len(paths) == 0 {
		testenv.Skipf(t, "no .ko.xz modules under /lib/modules/*/kernel/fs (test/setup.sh installs the 6.12 image)")
	}
	slices.Sort(paths)
	var out []byte
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := Decompress(XZ, f)
		if err == nil {
			var b []byte
			b, err = io.ReadAll(rc)
			out = append(out, b...)
		}
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(out) >= n {
			return out[:n]
		}
	}
	return out
}

// TestZstdFrameParameters checks with zstd -lv that the frame records the
// content size and a checksum, and needs no more window than the CLI's.
func TestZstdFrameParameters(t *testing.T) {
	bin := testenv.LookPath(t, "zstd")
	path := filepath.Join(t.TempDir(), "m.ko.zst")
	if err := os.WriteFile(path, compressed(t, Zstd, bigInput), 0o644); err != nil {
		t.Fatal(err)
	}
	out := string(runTool(t, nil, bin, "-lv", path))
	if want := "(" + strconv.Itoa(len(bigInput)) + " B)"; !strings.Contains(out, "Decompressed Size:") || !strings.Contains(out, want) {
		t.Errorf("content size %s not recorded:\n%s", want, out)
	}
	if !strings.Contains(out, "Check: XXH64") {
		t.Errorf("no XXH64 checksum:\n%s", out)
	}
	m := regexp.MustCompile(`Window Size: .*\((\d+) B\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no window size:\n%s", out)
	}
	if w, _ := strconv.Atoi(m[1]); w > zstdWindow {
		t.Errorf("window %d B, want at most %d", w, zstdWindow)
	}
}

// TestKmodReadsCompressed compresses a minimal ELF object with a .modinfo
// section and checks that kmod's modinfo decompresses and parses it; kmod
// is what modprobe and depmod use on our files.
func TestKmodReadsCompressed(t *testing.T) {
	gcc := testenv.LookPath(t, "gcc")
	modinfo := testenv.LookPath(t, "modinfo", "/usr/sbin/modinfo", "/sbin/modinfo")
	features := kmodFeatures(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	code := `static const char m[] __attribute__((section(".modinfo"), used)) = "license=GPL\0description=dkms compress test";` + "\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, nil, gcc, "-c", src, "-o", filepath.Join(dir, "m.ko"))
	module, err := os.ReadFile(filepath.Join(dir, "m.ko"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range Methods {
		t.Run(m.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.ko"+m.Ext())
			if err := os.WriteFile(path, compressed(t, m, module), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), modinfo, "-F", "description", path)
			out, err := cmd.CombinedOutput()
			ok := err == nil && strings.TrimSpace(string(out)) == "dkms compress test"
			// A kmod built without a method's library cannot read it
			// (Debian 12's has -ZLIB): then it must refuse the file, not
			// misread it. TestCLIAcceptsOurs covers the method's own tool.
			if feature := kmodFeature[m]; feature != "" && !strings.Contains(features, "+"+feature) {
				if ok {
					t.Errorf("kmod without %s read a %s module: %s", feature, m, out)
				}
				return
			}
			if !ok {
				t.Errorf("modinfo: %v: %s", err, out)
			}
		})
	}
}

// kmodFeature names the kmod build feature that reads each method; Debian
// 12's kmod 30 has +ZSTD +XZ -ZLIB.
var kmodFeature = map[Method]string{Gzip: "ZLIB", XZ: "XZ", Zstd: "ZSTD"}

// kmodFeatures returns `kmod --version`'s feature line, or "" when unknown
// (then every method is tried).
func kmodFeatures(t *testing.T) string {
	kmod, err := exec.LookPath("kmod")
	if err != nil {
		for _, p := range []string{"/usr/bin/kmod", "/bin/kmod"} {
			if _, err := os.Stat(p); err == nil {
				kmod = p
			}
		}
	}
	if kmod == "" {
		return "+ZLIB +XZ +ZSTD"
	}
	out, _ := exec.CommandContext(t.Context(), kmod, "--version").Output()
	return string(out)
}
