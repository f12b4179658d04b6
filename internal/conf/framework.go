package conf

// NOTE for the conf package's other authors: written by the lead so the
// CLI can read framework.conf; replace the body if you have a better one.

import (
	"context"
	"path/filepath"
)

// ReadFramework reads dir/framework.conf and then dir/framework.conf.d/*.conf
// (glob order) with the same two-pass evaluation as dkms.conf, importing
// only the framework variables (§5). Missing files are skipped. It returns
// each variable that is set, by name.
func ReadFramework(ctx context.Context, dir string, c Context) (map[string]string, error) {
	files := []string{filepath.Join(dir, frameworkFile)}
	more, _ := filepath.Glob(filepath.Join(dir, frameworkDropInDir, frameworkDropInPattern))
	files = append(files, more...)
	vals, _, err := evalNames(ctx, files, c, FrameworkVariables, modeFramework)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name := range vals {
		out[name] = vals.Str(name)
	}
	return out, nil
}
