package conf

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// snippets are small confs checked against dkms-conf-ref, each a pattern
// seen in real files or a trap for the interpreter. bash says whether the
// bash fallback must be used.
var snippets = []struct {
	text string
	bash bool
}{
	{`PACKAGE_NAME=$(echo "a b" | awk '{print $2}')`, false},
	{`PACKAGE_VERSION=$(sed -n 's/^VERSION=//p' <<< "VERSION=1.2")`, false},
	{`[[ -f /etc/os-release ]] && . /etc/os-release; PACKAGE_NAME=$ID`, false},
	{`PACKAGE_NAME=${PWD##*/}; PACKAGE_VERSION=${kernelver%%-*}`, false},
	{`MAKE[0]="make -C ${kernel_source_dir} M=\$(pwd)"`, false},
	{`BUILT_MODULE_NAME=( $(echo a b c) ); DEST_MODULE_LOCATION=(/extra{,,})`, false},
	{`PACKAGE_VERSION=$(git describe --bogus 2>/dev/null || echo 0.0)`, false},
	{"set -e\nfalse || true\nPACKAGE_NAME=after", false},
	{`x=$((16#ff)); PACKAGE_VERSION=$x.$((2#101))`, false},
	{`PACKAGE_NAME="$(basename $(pwd))"; MAKE="${kernelver[0]} ${arch[*]} $#"`, false},
	{`PACKAGE_NAME=$1; shift; PACKAGE_VERSION="[$*]"`, false},
	{`case $(uname -m) in x86_64|aarch64) PACKAGE_NAME=known ;; *) PACKAGE_NAME=other ;; esac`, false},
	{`export PACKAGE_NAME=exported; unset MAKE; PATCH=(); PRE_BUILD=`, false},
	{"PACKAGE_NAME=\"a\\$b\\\"c\"; PACKAGE_VERSION='$((1+2))'; POST_ADD='\\`echo hi\\`'", false},
	{`PACKAGE_NAME=x; readonly PACKAGE_NAME; PACKAGE_NAME=y`, true},
	{`trap 'echo "MAKE[0]=\"from trap\""' EXIT; PACKAGE_NAME=t`, true},
	{`IFS=; PATCH=(a b c)`, false},
	{`IFS=1; BUILT_MODULE_NAME[10]=ten; BUILT_MODULE_NAME[1]=one`, false},
	{`PACKAGE_NAME=$'tab\there'; PACKAGE_VERSION=$'nl\nhere'`, false},
	{`printf -v PACKAGE_NAME %s x`, true},
	{`declare -i n=1+2; PACKAGE_VERSION=$n`, true},
	{`X=abc; PACKAGE_NAME=${X@U}`, true},
	{`f() { local PACKAGE_NAME=inner; }; f; PACKAGE_VERSION=${PACKAGE_NAME-unset}`, false},
	{`PACKAGE_NAME=x 2>/dev/null; PACKAGE_VERSION=$(( $(echo 6) * 7 ))`, false},
	{`eval 'PACKAGE_NAME=from-eval'; eval "MAKE[1]=\"m\$((1+1))\""`, false},
	{`PACKAGE_NAME=$(cd /; pwd); PACKAGE_VERSION=$PWD`, false},
	{`cd /tmp; PACKAGE_NAME=x; MAKE='*'`, false},
	{`DKMS_DIRECTIVE_X='MAKE=make with spaces'; DKMS_DIRECTIVE_Y=$'POST_ADD=a\tb'`, false},
	{`alias echo='echo ALIASED'; shopt -s expand_aliases; PACKAGE_NAME=a`, false},
}

func TestConfirmSnippets(t *testing.T) {
	shared := sharedDir(t)
	ref := filepath.Join(shared, "tools", "dkms-conf-ref")
	for i, s := range snippets {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := writeConf(t, t.TempDir(), "dkms.conf", s.text+"\n")
			want := runReference(t, ref, []string{f})
			got, rep := runCandidate(t, []string{f})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s\n got: %v\nwant: %v", s.text, got, want)
			}
			if (rep.Engine == EngineBash) != s.bash {
				t.Errorf("%s: engine %s (%s)", s.text, rep.Engine, rep.Reason)
			}
		})
	}
}
