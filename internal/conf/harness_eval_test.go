package conf

import "testing"

// TestHarnessEval checks that the write-back's own eval strings are
// recognised (they skip the check) and that others are not.
func TestHarnessEval(t *testing.T) {
	for _, s := range []string{`echo $(__dkmsgo_indices PACKAGE_NAME)`, `echo $_export_env[$_i]=\"${MAKE[$_i]%$CR}\"`,
		`echo $(__dkmsgo_indices PATCH_6_12)`, `echo $_export_env[$_i]=\"${MODULES_CONF0[$_i]%$CR}\"`} {
		if !harnessEval.MatchString(s) {
			t.Errorf("harness eval %q not recognised", s)
		}
	}
	for _, s := range []string{`echo $(declare -u x)`, `echo $_export_env[$_i]=\"${MAKE[$_i]@U}\"`} {
		if harnessEval.MatchString(s) {
			t.Errorf("%q taken for the harness's", s)
		}
	}
}
