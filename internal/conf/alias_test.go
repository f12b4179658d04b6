package conf

import (
	"reflect"
	"regexp"
	"testing"
)

func TestIsAlias(t *testing.T) {
	for name, want := range map[string]bool{
		"PATCH0": true, "PATCH1": true, "PATCH10": true, "PATCH999999999": true,
		"PATCH_6_12": true, "PATCH_2_4_20_8smp": true, "PATCH_6_": true,
		"MODULES_CONF0": true, "MODULES_CONF12": true,
		"PATCH": false, "PATCH_MATCH": false, "PATCH_MATCH0": false, "PATCH_DIR": false,
		"PATCH01": false, "PATCH1000000000": false, "PATCH_": false, "PATCHES": false, "PATCH1_DIR": false,
		"MODULES_CONF": false, "MODULES_CONF_OBSOLETES": false, "MODULES_CONF00": false, "patch0": false,
	} {
		if got := isAlias(name); got != want {
			t.Errorf("isAlias(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestKernelPattern checks the ERE a PATCH_<text> name becomes against
// real release strings.
func TestKernelPattern(t *testing.T) {
	tests := []struct {
		text, pattern string
		match, miss   []string
	}{
		{"6_12", `^6[^[:alnum:]]12($|[^[:digit:]])`,
			[]string{"6.12.118+deb12-amd64", "6.12", "6-12"}, []string{"6.1.0-57-amd64", "6.120.1", "5.16.12", "6612"}},
		{"6_1", `^6[^[:alnum:]]1($|[^[:digit:]])`,
			[]string{"6.1.0-57-amd64"}, []string{"6.12.118+deb12-amd64", "16.1.0"}},
		{"6_12_118_deb", `^6[^[:alnum:]]12[^[:alnum:]]118[^[:alnum:]]deb($|[^[:alpha:]])`,
			[]string{"6.12.118+deb12-amd64"}, []string{"6.12.118+debian-amd64"}},
		{"2_", `^2[^[:alnum:]]`, []string{"2.6.32"}, []string{"20.1"}},
	}
	for _, tt := range tests {
		got := kernelPattern(tt.text)
		if got != tt.pattern {
			t.Errorf("kernelPattern(%s) = %s, want %s", tt.text, got, tt.pattern)
		}
		re := regexp.MustCompile(got)
		for _, k := range tt.match {
			if !re.MatchString(k) {
				t.Errorf("PATCH_%s does not apply to %s", tt.text, k)
			}
		}
		for _, k := range tt.miss {
			if re.MatchString(k) {
				t.Errorf("PATCH_%s applies to %s", tt.text, k)
			}
		}
	}
}

func TestFoldAliases(t *testing.T) {
	const k612 = `^6[^[:alnum:]]12($|[^[:digit:]])`
	tests := []struct {
		name     string
		in, want []string
		msgs     []string
	}{
		{"none", []string{"PATCH[0]=a"}, []string{"PATCH[0]=a"}, nil},
		{"generic", []string{"PATCH1=b", "PATCH0=a"}, []string{"PATCH[0]=a", "PATCH[1]=b"}, nil},
		{"kernel-specific after generic, by name",
			[]string{"PATCH_6_12=k2", "PATCH_5_10=k1", "PATCH0=a", "PATCH[1]=b", "PATCH_MATCH[1]=^6"},
			[]string{"PATCH[0]=a", "PATCH[1]=b", "PATCH_MATCH[1]=^6", "PATCH[2]=k1",
				`PATCH_MATCH[2]=^5[^[:alnum:]]10($|[^[:digit:]])`, "PATCH[3]=k2", "PATCH_MATCH[3]=" + k612}, nil},
		{"after a lone PATCH_MATCH", []string{"PATCH_MATCH[2]=x", "PATCH_6_12=k"},
			[]string{"PATCH_MATCH[2]=x", "PATCH[3]=k", "PATCH_MATCH[3]=" + k612}, nil},
		{"modules conf", []string{"MODULES_CONF[0]=options a x=1", "MODULES_CONF1=alias b a", "MODULES_CONF10=c"},
			[]string{"MODULES_CONF[0]=options a x=1", "MODULES_CONF[1]=alias b a", "MODULES_CONF[10]=c"}, nil},
		{"conflicts stay", []string{"PATCH[0]=a", "PATCH0=b", "PATCH1=c", "MODULES_CONF[2]=x", "MODULES_CONF2=x"},
			[]string{"PATCH[0]=a", "PATCH0[0]=b", "PATCH[1]=c", "MODULES_CONF[2]=x", "MODULES_CONF2[0]=x"},
			[]string{
				"dkms.conf: Error! 'MODULES_CONF2' and 'MODULES_CONF[2]' are both set: they are the same entry, keep only 'MODULES_CONF[2]'.",
				"dkms.conf: Error! 'PATCH0' and 'PATCH[0]' are both set: they are the same entry, keep only 'PATCH[0]'.",
			}},
		{"element 0 of an array", []string{"PATCH0[0]=a", "PATCH0[1]=ignored"}, []string{"PATCH[0]=a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := vals(t, tt.in...)
			before := in.JSON()
			got, msgs := foldAliases(in)
			if want := vals(t, tt.want...); !reflect.DeepEqual(got, want) {
				t.Errorf("folded\n got %s\nwant %s", got.JSON(), want.JSON())
			}
			if !reflect.DeepEqual(texts(msgs), tt.msgs) {
				t.Errorf("messages %q, want %q", texts(msgs), tt.msgs)
			}
			if string(in.JSON()) != string(before) {
				t.Errorf("input changed to %s", in.JSON())
			}
		})
	}
}

// TestParseAliases checks the typed result: the conflict makes the conf
// invalid, the folded patches apply per kernel in the 2003 order.
func TestParseAliases(t *testing.T) {
	c, msgs, err := Parse(vals(t, append(minimal, "PATCH_6_12=k.patch", "PATCH1=b.patch", "PATCH0=a.patch")...), true)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("Parse: %v %q", err, texts(msgs))
	}
	for k, want := range map[string][]string{
		"6.12.118+deb12-amd64": {"a.patch", "b.patch", "k.patch"},
		"6.1.0-57-amd64":       {"a.patch", "b.patch"},
	} {
		if got, _ := c.Patches(k); !reflect.DeepEqual(got, want) {
			t.Errorf("Patches(%s) = %q, want %q", k, got, want)
		}
	}
	_, msgs, err = Parse(vals(t, append(minimal, "PATCH[0]=a.patch", "PATCH0=b.patch")...), false)
	want := []string{"dkms.conf: Error! 'PATCH0' and 'PATCH[0]' are both set: they are the same entry, keep only 'PATCH[0]'."}
	if err != ErrInvalid || !reflect.DeepEqual(texts(msgs), want) {
		t.Errorf("conflict: %v %q", err, texts(msgs))
	}
}

// TestEvalAliases evaluates a conf and an override file with both engines:
// the aliases are written back (expanded twice, seen by the next file),
// reported after each file in name order, folded; aliases inherited from
// the environment and look-alike names are not the conf's.
func TestEvalAliases(t *testing.T) {
	dir := t.TempDir()
	base := writeConf(t, dir, "dkms.conf", `PACKAGE_NAME=m
PATCH1='two-$kernelver.patch'
PATCH0=one.patch
PATCH_6_1=k.patch
PATCH_DIR=notapatch
PATCH_MATCH[0]=
MODULES_CONF10="options m b=1"
`)
	over := writeConf(t, dir, "m.conf", "MODULES_CONF0=\"options m a=1 $PATCH0\"\n")
	want := Values{
		PackageName: {0: "m"},
		Patch:       {0: "one.patch", 1: "two-6.1.0-99-amd64.patch", 2: "k.patch"},
		PatchMatch:  {0: "", 2: `^6[^[:alnum:]]1($|[^[:digit:]])`},
		ModulesConf: {0: "options m a=1 one.patch", 10: "options m b=1"},
	}
	advice := map[string]string{
		"MODULES_CONF0": ": use MODULES_CONF[0] instead", "MODULES_CONF10": ": use MODULES_CONF[10] instead",
		"PATCH0": ": use PATCH[0] instead", "PATCH1": ": use PATCH[1] instead",
		"PATCH_6_1": `: use PATCH[#] with PATCH_MATCH[#]='^6[^[:alnum:]]1($|[^[:digit:]])' instead`,
	}
	var wantDepr []string
	for _, f := range []struct {
		path  string
		names []string
	}{{base, []string{"MODULES_CONF10", "PATCH0", "PATCH1", "PATCH_6_1"}},
		{over, []string{"MODULES_CONF0", "MODULES_CONF10", "PATCH0", "PATCH1", "PATCH_6_1"}}} {
		for _, n := range f.names {
			wantDepr = append(wantDepr, "Deprecated feature: "+n+" ("+f.path+")"+advice[n])
		}
	}
	for _, bash := range []bool{false, true} {
		c := testContext()
		c.PreferBash, c.Strict = bash, true
		c.Environ = append(c.Environ, "PATCH_6_12=from-env.patch", "MODULES_CONF3=from-env")
		var rep Report
		c.Report = &rep
		got, err := Eval(t.Context(), []string{base, over}, c)
		if err != nil {
			t.Fatal(err)
		}
		if (rep.Engine == EngineBash) != bash {
			t.Errorf("bash=%v: evaluated by %s", bash, rep.Engine)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bash=%v:\n got %s\nwant %s", bash, got.JSON(), want.JSON())
		}
		if d := texts(rep.Deprecated); !reflect.DeepEqual(d, wantDepr) {
			t.Errorf("bash=%v: deprecated\n got %q\nwant %q", bash, d, wantDepr)
		}
	}
}

// TestFrameworkIgnoresAliases: framework.conf has no patches.
func TestFrameworkIgnoresAliases(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "framework.conf", "PATCH0=x\nMODULES_CONF0=y\nverbose=1\n")
	for _, bash := range []bool{false, true} {
		c := testContext()
		c.PreferBash = bash
		got, err := ReadFramework(t.Context(), dir, c)
		if err != nil {
			t.Fatal(err)
		}
		for name := range got {
			if isAlias(name) {
				t.Errorf("bash=%v: %s imported", bash, name)
			}
		}
	}
}
