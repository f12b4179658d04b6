package compress

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// TestXZKernelParameters checks with xz --robot --list what the kernel's
// XZ decoder needs: CRC32 check and a 1 MiB dictionary in every block.
func TestXZKernelParameters(t *testing.T) {
	bin := testenv.LookPath(t, "xz")
	path := filepath.Join(t.TempDir(), "m.ko.xz")
	if err := os.WriteFile(path, compressed(t, XZ, inputs["module"]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := string(runTool(t, nil, bin, "--robot", "--list", "-vv", path))
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
