package lifecycle

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
)

// MODULES_CONF. The reference ignores MODULES_CONF[] (it only prints
// "Deprecated feature: MODULES_CONF (<file>)"), and so do we by default.
// Ours: when framework.conf sets modules_conf_dir=/path (for example
// /etc/modprobe.d), install writes the MODULES_CONF[i] lines, in index
// order, to <dir>/dkms-<module>.conf (atomically, through the runner), and
// the uninstall that takes the module off its last kernel deletes that
// file. The deprecation line is printed either way.

// modulesConfPath is <modules_conf_dir>/dkms-<m>.conf, or "" when the
// feature is off.
func (s *Session) modulesConfPath(m string) string {
	dir := s.Framework["modules_conf_dir"]
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "dkms-"+m+".conf")
}

// writeModulesConf writes the MODULES_CONF lines of vals, the conf
// install just read, for module m; with no lines it writes nothing.
func (s *Session) writeModulesConf(m string, vals conf.Values) error {
	path := s.modulesConfPath(m)
	if path == "" || vals == nil || vals.Count(conf.ModulesConf) == 0 {
		return nil
	}
	var b strings.Builder
	for _, i := range vals.Indices(conf.ModulesConf) {
		fmt.Fprintln(&b, vals[conf.ModulesConf][i])
	}
	if err := s.Runner.MkdirAll(filepath.Dir(path)); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := s.Runner.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// removeModulesConf deletes the file writeModulesConf wrote for m once
// m is installed on no kernel any more.
func (s *Session) removeModulesConf(m string) {
	path := s.modulesConfPath(m)
	if path == "" || !isFile(path) {
		return
	}
	if links, _ := filepath.Glob(filepath.Join(s.Layout.Module(m), "kernel-*")); len(links) > 0 {
		return
	}
	s.Runner.Remove(path)
}
