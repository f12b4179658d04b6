package conf

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// vals builds Values from "NAME[i]=value" strings.
func vals(t *testing.T, elems ...string) Values {
	t.Helper()
	v := Values{}
	for _, e := range elems {
		lhs, val, _ := strings.Cut(e, "=")
		name, idx, _ := strings.Cut(strings.TrimSuffix(lhs, "]"), "[")
		i := 0
		if idx != "" {
			for _, c := range idx {
				i = i*10 + int(c-'0')
			}
		}
		if v[name] == nil {
			v[name] = map[int]string{}
		}
		v[name][i] = val
	}
	return v
}

func texts(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

var minimal = []string{"PACKAGE_NAME=foo", "PACKAGE_VERSION=1.0", "DEST_MODULE_LOCATION=/extra"}

func TestParseMessages(t *testing.T) {
	tests := []struct {
		name   string
		elems  []string
		strict bool
		want   []string
	}{
		{"valid", minimal, true, nil},
		{"no name or version", []string{"DEST_MODULE_LOCATION=/extra", "BUILT_MODULE_NAME=x"}, false, []string{
			"dkms.conf: Error! No 'PACKAGE_NAME' directive specified.",
			"dkms.conf: Error! No 'PACKAGE_VERSION' directive specified.",
		}},
		{"zero modules strict", []string{"PACKAGE_NAME=a", "PACKAGE_VERSION=1"}, true, []string{
			"dkms.conf: Warning! Zero modules specified.",
		}},
		{"zero modules lenient", []string{"PACKAGE_NAME=a", "PACKAGE_VERSION=1"}, false, nil},
		{"sparse records", append([]string{"BUILT_MODULE_NAME[0]=a", "BUILT_MODULE_NAME[2]=c", "DEST_MODULE_LOCATION[2]=/kernel/x"}, minimal[:2]...), false, []string{
			"dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #0.",
			"dkms.conf: Error! No 'BUILT_MODULE_NAME' directive specified for record #1.",
			"dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #1.",
		}},
		{"object suffixes", append([]string{"BUILT_MODULE_NAME=a.ko", "DEST_MODULE_NAME=b.o"}, minimal...), false, []string{
			"dkms.conf: Error! 'BUILT_MODULE_NAME' directive ends in '.o' or '.ko' in record #0.",
			"dkms.conf: Error! 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #0.",
		}},
		{"bad location", []string{"PACKAGE_NAME=a", "PACKAGE_VERSION=1", "DEST_MODULE_LOCATION=/lib"}, false, []string{
			"dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with\n'/kernel', '/updates', or '/extra' in record #0.",
		}},
		{"prefix test only", []string{"PACKAGE_NAME=a", "PACKAGE_VERSION=1", "DEST_MODULE_LOCATION=/updates-foo"}, false, nil},
		{"length mismatch", append([]string{"built_module_name[3]=x"}, minimal...), false, []string{
			"dkms.conf: Error! Module name/location array length mismatch.",
		}},
		{"yes/no values", append([]string{"AUTOINSTALL=YES", "NO_WEAK_MODULES=maybe", "BUILD_DEPENDS_REBUILD=No"}, minimal...), false, []string{
			"dkms.conf: Error! Unsupported NO_WEAK_MODULES value 'maybe'",
		}},
		{"duplicates", append([]string{"BUILT_MODULE_NAME[0]=a", "BUILT_MODULE_NAME[1]=a", "DEST_MODULE_LOCATION[1]=/extra", "DEST_MODULE_NAME[2]=a", "BUILT_MODULE_NAME[2]=b", "DEST_MODULE_LOCATION[2]=/extra"}, minimal...), true, []string{
			"dkms.conf: Error! Duplicate module 'a' in 'BUILT_MODULE_NAME[1]'.",
			"dkms.conf: Error! Duplicate module 'a' in 'DEST_MODULE_NAME[1]'.",
			"dkms.conf: Error! Duplicate module 'a' in 'DEST_MODULE_NAME[2]'.",
		}},
		{"strict skipped after lenient errors", []string{"PACKAGE_NAME=a"}, true, []string{
			"dkms.conf: Error! No 'PACKAGE_VERSION' directive specified.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, msgs, err := Parse(vals(t, tt.elems...), tt.strict)
			if got := texts(msgs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages:\n got %q\nwant %q", got, tt.want)
			}
			wantErr := hasError(msgs)
			if (err != nil) != wantErr || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("err = %v, want error %v", err, wantErr)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	v := vals(t, "PACKAGE_NAME=pkg", "PACKAGE_VERSION=2.0",
		"BUILT_MODULE_LOCATION=src", "DEST_MODULE_LOCATION=/kernel/x", "STRIP[0]=No",
		"MAKE[0]=make a", "MAKE[3]=make d", "MAKE_MATCH[3]=^6",
		"PATCH[0]=p0", "PATCH_MATCH[0]=^5", "PATCH[1]=p1",
		"AUTOINSTALL=yes", "OBSOLETE_BY=6.5", "BUILD_DEPENDS[0]=a", "BUILD_DEPENDS[4]=b",
		"CLEAN=make clean", "REMAKE_INITRD=yes")
	c, msgs, err := Parse(v, true)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("Parse: %v %q", err, texts(msgs))
	}
	want := Module{BuiltName: "pkg", BuiltLocation: "src/", DestName: "pkg", DestLocation: "/kernel/x", Strip: false}
	if !reflect.DeepEqual(c.Modules, []Module{want}) {
		t.Errorf("Modules = %+v, want %+v", c.Modules, want)
	}
	if !reflect.DeepEqual(c.Make, []string{"make a", ""}) || !reflect.DeepEqual(c.MakeMatch, []string{"", ""}) {
		t.Errorf("Make = %q / %q, want count semantics", c.Make, c.MakeMatch)
	}
	if !c.AutoInstall || c.BuildExclusive[0].KernelMax != "6.5" || !reflect.DeepEqual(c.BuildDepends, []string{"a", "b"}) {
		t.Errorf("config = %+v", c)
	}
	if !reflect.DeepEqual(c.Deprecated, []string{Clean, RemakeInitrd, ObsoleteBy}) {
		t.Errorf("Deprecated = %q", c.Deprecated)
	}
	if cmd, _ := c.MakeCommand("6.1"); cmd != "make a" {
		t.Errorf("MakeCommand = %q (MAKE[3] is beyond the element count)", cmd)
	}
	for k, want := range map[string][]string{"5.10": {"p0", "p1"}, "6.1": {"p1"}} {
		if got, _ := c.Patches(k); !reflect.DeepEqual(got, want) {
			t.Errorf("Patches(%s) = %q, want %q", k, got, want)
		}
	}
}

func TestStrip(t *testing.T) {
	v := vals(t, "PACKAGE_NAME=p", "PACKAGE_VERSION=1", "STRIP[0]=no", "STRIP[2]=yes", "STRIP[3]=whatever",
		"BUILT_MODULE_NAME[3]=d", "BUILT_MODULE_NAME[0]=a", "BUILT_MODULE_NAME[1]=b", "BUILT_MODULE_NAME[2]=c")
	c, _, _ := Parse(v, false)
	var got []bool
	for _, m := range c.Modules {
		got = append(got, m.Strip)
	}
	if want := []bool{false, false, true, true}; !reflect.DeepEqual(got, want) {
		t.Errorf("strip = %v, want %v", got, want)
	}
}

func TestMakeCommand(t *testing.T) {
	tests := []struct {
		make, match []string
		kernel      string
		want        string
	}{
		{nil, nil, "6.1", ""},
		{[]string{"m0"}, []string{""}, "6.1", "m0"},
		{[]string{"m0", "m1"}, []string{"^5", "^6"}, "6.1", "m1"},
		{[]string{"m0", "m1"}, []string{"^5", "^6"}, "4.1", ""},
		{[]string{"m0", "m1", "m2"}, []string{"", "^6", "6\\.1"}, "6.1", "m2"},
	}
	for _, tt := range tests {
		c := &Config{Make: tt.make, MakeMatch: tt.match}
		if got, err := c.MakeCommand(tt.kernel); got != tt.want || err != nil {
			t.Errorf("MakeCommand(%q, %q, %s) = %q, %v; want %q", tt.make, tt.match, tt.kernel, got, err, tt.want)
		}
	}
}
