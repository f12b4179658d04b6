package tree

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleManifest(m, v, k, a string) *Manifest {
	return &Manifest{
		Module: m, Version: v, Kernel: k, Arch: a,
		Files:     []File{{Path: "/lib/modules/" + k + "/updates/dkms/" + m + ".ko", SHA256: "00ff", Source: "/var/lib/dkms/" + m + "/" + v + "/" + k + "/" + a + "/module/" + m + ".ko"}},
		Originals: []Original{{From: "/lib/modules/" + k + "/kernel/" + m + ".ko", Archived: "/var/lib/dkms/" + m + "/original_module/" + k + "/" + a + "/" + m + ".ko", SHA256: "aa"}},
	}
}

func writeManifest(t *testing.T, l Layout, man *Manifest) {
	t.Helper()
	p := l.Manifest(man.Module, man.Kernel, man.Arch)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, man.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	l := Layout{DKMS: t.TempDir()}
	prev := sampleManifest("foo", "1.0", "6.1.0-13-amd64", "x86_64")
	for _, man := range []*Manifest{
		{Module: "foo", Version: "1.0", Kernel: "6.1.0-13-amd64", Arch: "x86_64"},
		sampleManifest("foo", "2.0", "6.1.0-13-amd64", "x86_64"),
		func() *Manifest {
			m := sampleManifest("foo", "2.0", "6.1.0-13-amd64", "x86_64")
			m.Previous = prev
			return m
		}(),
	} {
		writeManifest(t, l, man)
		got, err := l.ReadManifest("foo", "6.1.0-13-amd64", "x86_64")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, man) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, man)
		}
	}
	enc := string(sampleManifest("m", "v", "k", "a").Encode())
	if !strings.HasSuffix(enc, "}\n") || !strings.Contains(enc, "\n  \"module\": \"m\",") {
		t.Errorf("Encode is not indented JSON with a final newline:\n%s", enc)
	}
	if strings.Contains(string((&Manifest{Module: "m"}).Encode()), "originals") {
		t.Error("empty originals are not omitted")
	}
}

func TestReadManifestErrors(t *testing.T) {
	l := Layout{DKMS: t.TempDir()}
	man, err := l.ReadManifest("foo", "6.1", "x86_64")
	if man != nil || err != nil {
		t.Errorf("missing manifest: %v, %v; want nil, nil", man, err)
	}
	p := l.Manifest("foo", "6.1", "x86_64")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReadManifest("foo", "6.1", "x86_64"); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("bad manifest: %v, want an error naming %s", err, p)
	}
}

func TestManifests(t *testing.T) {
	l := Layout{DKMS: t.TempDir()}
	good := []*Manifest{
		sampleManifest("bar", "1.0", "6.1", "x86_64"),
		sampleManifest("foo", "1.0", "6.1.0-13-amd64", "x86_64"),
		sampleManifest("foo", "1.0", "6.2", "arm64"),
	}
	for _, m := range good {
		writeManifest(t, l, m)
	}
	// Manifests that do not belong where they are are ignored.
	stray := sampleManifest("other", "1.0", "6.1", "x86_64")
	p := filepath.Join(l.Module("foo"), ".manifest-6.1-x86_64.json")
	if err := os.WriteFile(p, stray.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	renamed := sampleManifest("baz", "1.0", "6.1", "x86_64")
	writeManifest(t, l, renamed)
	if err := os.Rename(l.Manifest("baz", "6.1", "x86_64"), l.Manifest("baz", "6.9", "x86_64")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Manifest("bar", "9", "x"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(l.DKMS, ".hidden"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.DKMS, ".hidden", ".manifest-6.1-x86_64.json"), good[0].Encode(), 0o644); err != nil {
		t.Fatal(err)
	}

	got := l.Manifests()
	if !reflect.DeepEqual(got, good) {
		t.Errorf("Manifests:\n got %+v\nwant %+v", got, good)
	}
	if got := (Layout{DKMS: filepath.Join(l.DKMS, "none")}).Manifests(); got != nil {
		t.Errorf("Manifests of a missing tree = %v", got)
	}
}
