package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestParseArgs pins the option scanner (dkms-behaviour §3.1). The words
// used as module names do not exist as files next to this test, so none
// is taken for an archive or a source directory.
func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args string // split on blanks; "~" stands for a blank inside a word
		want options
		err  error
	}{
		{name: "empty", args: "", want: options{}},
		{name: "action and m/v", args: "build foo/1.0",
			want: options{action: "build", module: "foo", version: "1.0", mvArg: "foo/1.0"}},
		{name: "options before the action", args: "-m foo -v 1.0 -k 6.1 install",
			want: options{action: "install", module: "foo", version: "1.0", kernels: []string{"6.1"}}},
		{name: "options after the action", args: "install -m foo -v 1.0 -k 6.1",
			want: options{action: "install", module: "foo", version: "1.0", kernels: []string{"6.1"}}},
		{name: "-k K/A", args: "build foo/1.0 -k 6.1.0-13-amd64/x86_64",
			want: options{action: "build", module: "foo", version: "1.0", mvArg: "foo/1.0", kernels: []string{"6.1.0-13-amd64"}, arches: []string{"x86_64"}}},
		{name: "repeated -k", args: "build -k 6.1/x86_64 -k 6.2 -a arm64 -k 6.3/i386",
			want: options{action: "build", kernels: []string{"6.1", "6.2", "6.3"}, arches: []string{"x86_64", "arm64", "i386"}}},
		{name: "-k with several slashes", args: "build -k 6.1/a/b",
			want: options{action: "build", kernels: []string{"6.1"}, arches: []string{"a/b"}}},
		{name: "--opt=value", args: "status --kernelver=6.1/x86_64 --module=foo/2.0 --arch=arm64",
			want: options{action: "status", module: "foo", version: "2.0", kernels: []string{"6.1"}, arches: []string{"x86_64", "arm64"}}},
		{name: "--opt value", args: "status --kernelver 6.1 --module foo",
			want: options{action: "status", module: "foo", kernels: []string{"6.1"}}},
		{name: "value with =", args: "build --directive=MAKE=make~x",
			want: options{action: "build", directives: []string{"MAKE=make x"}}},
		{name: "prefix glob takes the next word", args: "build --kernelverX 6.1",
			want: options{action: "build", kernels: []string{"6.1"}}},
		{name: "prefix glob with =", args: "build --kernelversion=6.1",
			want: options{action: "build", kernels: []string{"6.1"}}},
		{name: "--archive before --arch", args: "ldtarball --archive=/x.tar.gz --architecture=arm64",
			want: options{action: "ldtarball", archive: "/x.tar.gz", arches: []string{"arm64"}}},
		{name: "trees", args: "status --dkmstree=/d --sourcetree /s --installtreeX=/i",
			want: options{action: "status", dkmsTree: "/d", sourceTree: "/s", installTree: "/i"}},
		{name: "non-glob long option is exact", args: "status --allx",
			want: options{action: "status", unknown: "--allx"}},
		{name: "= on a flag is ignored", args: "status --all=1",
			want: options{action: "status", all: true}},
		{name: "flags", args: "install --force --force-version-override --all --verbose --no-depmod --symlink-modules --binaries-only --source-only --rpm_safe_upgrade --modprobe-on-install --json --fix -q --debug",
			want: options{action: "install", force: true, forceVersion: true, all: true, verbose: true, noDepmod: true, symlinkModules: true,
				binariesOnly: true, sourceOnly: true, rpmSafeUpgrade: true, modprobe: true, json: true, fix: true, quiet: true}},
		{name: "deprecated", args: "build --no-initrd --no-clean-kernel --no-prepare-kernel",
			want: options{action: "build", deprecated: []string{"--no-initrd", "--no-clean-kernel", "--no-prepare-kernel"}}},
		{name: "short values", args: "build -c /x/dkms.conf -j 4 --templatekernel 6.0 --config /boot/config --kernelsourcedir /ks",
			want: options{action: "build", confFile: "/x/dkms.conf", jobs: "4", templateKernel: "6.0", kernelConfig: "/boot/config", kernelSourceDir: "/ks"}},
		{name: "read -r trims blanks", args: "build -k ~~6.1~~ -m ~foo/1.0~",
			want: options{action: "build", kernels: []string{"6.1"}, module: "foo", version: "1.0"}},
		{name: "-V stops scanning", args: "-V build --bogus foo/1.0",
			want: options{showVersion: true}},
		{name: "--version after an action", args: "status --version install",
			want: options{action: "status", showVersion: true}},
		{name: "help", args: "-h", want: options{showHelp: true}},
		{name: "unknown option stops scanning", args: "build --bogus foo/1.0",
			want: options{action: "build", unknown: "--bogus"}},
		{name: "unknown short option", args: "-x build", want: options{unknown: "-x"}},
		{name: "lone dash", args: "build -", want: options{action: "build", unknown: "-"}},
		{name: "two actions", args: "build install", want: options{action: "build"}, err: errTwoActions{}},
		{name: "same action twice", args: "build build", want: options{action: "build"}, err: errTwoActions{}},
		{name: "our action, then the reference's", args: "conf build", want: options{action: "conf"}, err: errTwoActions{}},
		{name: "our action word after an action is a module", args: "install doctor",
			want: options{action: "install", module: "doctor", mvArg: "doctor"}},
		{name: "all reference actions", args: "kernel_postinst", want: options{action: "kernel_postinst"}},
		{name: "action lookalike", args: "builds", want: options{module: "builds", mvArg: "builds"}},
		{name: "split at the first slash", args: "add foo/1.0/extra",
			want: options{action: "add", module: "foo", version: "1.0/extra", mvArg: "foo/1.0/extra"}},
		{name: "bare module keeps -v", args: "-v 2.0 add foo",
			want: options{action: "add", module: "foo", version: "2.0", mvArg: "foo"}},
		{name: "-v after m/v wins", args: "add foo/1.0 -v 2.0",
			want: options{action: "add", module: "foo", version: "2.0", mvArg: "foo/1.0"}},
		{name: "trailing slash", args: "add foo/",
			want: options{action: "add", module: "foo", version: "", mvArg: "foo/"}},
		{name: "second word", args: "add foo/1.0 bar",
			want: options{action: "add", module: "foo", version: "1.0", mvArg: "foo/1.0", warnings: []string{"I do not know how to handle bar."}}},
		{name: "-m then a word", args: "add -m foo bar",
			want: options{action: "add", module: "foo", warnings: []string{"I do not know how to handle bar."}}},
		{name: "value missing at the end", args: "build -k",
			want: options{action: "build", kernels: []string{""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, w := range strings.Fields(tc.args) {
				args = append(args, strings.ReplaceAll(w, "~", " "))
			}
			got, err := parseArgs(args)
			if !errors.Is(err, tc.err) && !reflect.DeepEqual(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("parseArgs(%q)\n got %+v\nwant %+v", args, *got, tc.want)
			}
		})
	}
}

// TestParseArgsReadValue covers values that hold newlines, which only an
// argv (not a blank-split string) can carry.
func TestParseArgsReadValue(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		kernels []string
		module  string
	}{
		{[]string{"-k", "6.1\n6.2"}, []string{"6.1"}, ""},
		{[]string{"-k", " \t6.1 \t\nx"}, []string{"6.1"}, ""},
		{[]string{"--kernelver=\n6.1"}, []string{""}, ""},
		{[]string{"-m", "foo\nbar"}, nil, "foo"},
		{[]string{"-m", "a b"}, nil, "a b"},
	} {
		got, err := parseArgs(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.kernels, tc.kernels) || got.module != tc.module {
			t.Errorf("parseArgs(%q): kernels %q module %q; want %q %q", tc.args, got.kernels, got.module, tc.kernels, tc.module)
		}
	}
}

func TestSplitModuleVersion(t *testing.T) {
	for _, tc := range []struct {
		s, version, m, v string
	}{
		{"foo/1.0", "", "foo", "1.0"},
		{"foo/1.0", "9", "foo", "1.0"},
		{"foo", "9", "foo", "9"},
		{"foo", "", "foo", ""},
		{"/1.0", "9", "", "1.0"},
		{"foo/", "9", "foo", ""},
		{"a/b/c", "", "a", "b/c"},
		{"", "9", "", "9"},
	} {
		m, v := splitModuleVersion(tc.s, tc.version)
		if m != tc.m || v != tc.v {
			t.Errorf("splitModuleVersion(%q, %q) = %q, %q; want %q, %q", tc.s, tc.version, m, v, tc.m, tc.v)
		}
	}
}

// FuzzParseArgs feeds argv vectors (NUL-separated) to the scanner: it must
// not panic, and what it returns must respect the scanner's invariants.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"",
		"build\x00foo/1.0\x00-k\x006.1/x86_64",
		"-m\x00foo\x00-v\x001.0\x00install\x00--all",
		"--kernelver=6.1\n6.2\x00status",
		"--kernelverX\x00 6.1 \x00-a",
		"-V\x00build\x00install",
		"build\x00install",
		"conf\x00doctor\x00x",
		"--bogus\x00build",
		"-k",
		"--module=/\x00/\x00//",
		"--directive=A=B\x00--arch=\x00-j\x00-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		o, err := parseArgs(args)
		if o == nil {
			t.Fatal("nil options")
		}
		if err != nil {
			if _, ok := err.(errTwoActions); !ok {
				t.Fatalf("unexpected error %v", err)
			}
		}
		if o.action != "" && !actionRe.MatchString(o.action) && !ourActions[o.action] {
			t.Errorf("action %q is not an action word", o.action)
		}
		if len(o.kernels) > len(args) || len(o.arches) > len(args) {
			t.Errorf("%d kernels, %d arches from %d words", len(o.kernels), len(o.arches), len(args))
		}
		for _, k := range o.kernels {
			if strings.ContainsAny(k, "/\n") || strings.TrimLeft(k, " \t") != k {
				t.Errorf("kernel %q not split and trimmed", k)
			}
		}
		for _, a := range o.arches {
			if strings.Contains(a, "\n") || strings.TrimRight(a, " \t") != a {
				t.Errorf("arch %q not trimmed", a)
			}
		}
		if strings.Contains(o.module, "/") {
			t.Errorf("module %q holds a slash", o.module)
		}
		if o.unknown != "" && !strings.HasPrefix(o.unknown, "-") {
			t.Errorf("unknown option %q", o.unknown)
		}
		if o.showVersion && (o.unknown != "" || err != nil) {
			t.Errorf("scanning went on after --version")
		}
	})
}

// FuzzSplitModuleVersion checks that "m/v" splits at the first slash and
// loses nothing, and that a word without a slash keeps the given version.
func FuzzSplitModuleVersion(f *testing.F) {
	for _, s := range []string{"foo/1.0", "foo", "", "/", "a/b/c", "foo/", "/1.0", "ü/ß"} {
		f.Add(s, "9.9")
	}
	f.Fuzz(func(t *testing.T, s, version string) {
		m, v := splitModuleVersion(s, version)
		if strings.Contains(m, "/") {
			t.Errorf("module %q holds a slash", m)
		}
		if strings.Contains(s, "/") {
			if m+"/"+v != s {
				t.Errorf("split of %q lost text: %q + %q", s, m, v)
			}
		} else if m != s || v != version {
			t.Errorf("splitModuleVersion(%q, %q) = %q, %q", s, version, m, v)
		}
	})
}
