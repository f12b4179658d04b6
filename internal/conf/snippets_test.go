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
	{`cd -P /tmp && PACKAGE_NAME=$PWD`, true},
	{`export -n HOME; PACKAGE_NAME=$(env | grep -c ^HOME=)`, true},
	{`mapfile -t -n 1 BUILD_DEPENDS < <(printf 'a\nb\n')`, true},
	{`mapfile -t BUILD_DEPENDS < <(printf 'a\nb\n')`, false},
	{`. ./missing.conf; PACKAGE_NAME=after-missing`, false},
	{`(( $(echo 5) > 3 )) && PACKAGE_NAME=gt; X=abcdef; PACKAGE_VERSION="${X: -2} ${X:1:-1}"`, false},
	{`BUILT_MODULE_NAME=({1..3} {01..03} {a..c}); MAKE="${BUILT_MODULE_NAME[-1]} ${BUILT_MODULE_NAME[@]:1:2}"`, false},
	{`x=" a "; [[ $x == *"a"* ]] && PACKAGE_NAME="[${x# }]"; PATCH=(p{1,2}.diff)`, false},
	{`declare -g PACKAGE_NAME=g; local -a PATCH=(x y); declare -a MAKE; MAKE[2]=z`, false},
	{`PACKAGE_NAME=$(printf '%05.1f|%-3s|%x' 3.14159 ab 255)`, true},
	{`PACKAGE_NAME=$(printf '%-3s|%x|%5d|%%|%c' ab 255 42 xyz)`, false},
	{`PACKAGE_NAME=$(echo -e 'a\tb' | od -c | head -1 | wc -w); PACKAGE_VERSION=$(echo -n x; echo y)`, false},
	{"PACKAGE_NAME=a\\\nb; MAKE=\"x\\\ny\"", false},
	{"set -u\nPACKAGE_NAME=${UNDEFINED_X:-d}\nMAKE=$UNDEFINED_Y\nPACKAGE_VERSION=never", false},
	{"set -o pipefail\nfalse | true || PACKAGE_NAME=pf", false},
	{`PACKAGE_NAME=$(getconf LONG_BIT); test "$PACKAGE_NAME" -gt 32 -a -n "$arch" && MAKE=big`, false},
	{`X=1; X+=1; ((X+=1)); PACKAGE_NAME=$X; Y=(1); Y+=(2); PACKAGE_VERSION=${Y[*]}`, false},
	{`PACKAGE_NAME=${HOME:?}; PACKAGE_VERSION=${NOPE:=assigned}; MAKE=$NOPE`, false},
	{"unset -v PACKAGE_NAME; PACKAGE_NAME=${PACKAGE_NAME-was-unset}; getopts ab opt -a; MAKE=$opt", false},
	{"shopt -s nocaseglob dotglob; PACKAGE_NAME=x; MAKE='*'", false},
	{"f() { return 3; }; f; PACKAGE_NAME=$?; g() { echo $#; }; PACKAGE_VERSION=$(g a b)", false},
	{"PACKAGE_NAME=`echo \\`echo nested\\``", false},
	{`DKMS_DIRECTIVE_Q="MAKE=it's"; DKMS_DIRECTIVE_U="POST_ADD=é"; DKMS_DIRECTIVE_E="PRE_BUILD="`, false},
	{`[[ abab =~ (ab)\1 ]] && PACKAGE_NAME=backref`, true},
	{`[[ ab =~ (a|ab) ]] && PACKAGE_NAME=${BASH_REMATCH[1]}`, true},
	{`[[ 6.1.0 =~ ^([0-9]+)\.([0-9]+) ]] && PACKAGE_NAME=${BASH_REMATCH[2]}`, false},
	{`MAKE=(a b); eval 'MAKE[1]+=c'; eval "PATCH[2]+=x" ";" "PATCH[2]+=y"`, false},
	{"PACKAGE_NAME=$(cat <<-EOF\n\tindented\n\tEOF\n)", false},
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
