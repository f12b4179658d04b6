package conf

import "path/filepath"

// OverrideFiles lists, in upstream's order of specificity, the override
// files read after a module's dkms.conf (§4.1): <m>.conf, <m>-<v>.conf,
// <m>-<v>-<K>.conf, <m>-<v>-<K>-<A>.conf, <m>--<K>.conf and
// <m>--<K>-<A>.conf in etcDir (upstream hard-codes /etc/dkms). Eval skips
// the ones that do not exist.
func OverrideFiles(etcDir, module, version, kernel, arch string) []string {
	names := []string{
		module + ".conf",
		module + "-" + version + ".conf",
		module + "-" + version + "-" + kernel + ".conf",
		module + "-" + version + "-" + kernel + "-" + arch + ".conf",
		module + "--" + kernel + ".conf",
		module + "--" + kernel + "-" + arch + ".conf",
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(etcDir, n)
	}
	return out
}
