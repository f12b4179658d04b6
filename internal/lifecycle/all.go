package lifecycle

import (
	"sort"

	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/tree"
)

// AllBuilds lists what --all means: every K/A m/v is built for, the ones
// only built first and the installed ones after, each in version order.
func (s *Session) AllBuilds(m, v string) (kernels, arches []string) {
	var built, installed []tree.KernelArch
	for _, ka := range s.Layout.Builds(m, v) {
		if s.Layout.IsInstalled(m, v, ka.Kernel, ka.Arch) {
			installed = append(installed, ka)
		} else {
			built = append(built, ka)
		}
	}
	for _, group := range [][]tree.KernelArch{built, installed} {
		sort.SliceStable(group, func(i, j int) bool {
			return kernel.CompareVersions(group[i].Kernel+"/"+group[i].Arch, group[j].Kernel+"/"+group[j].Arch) < 0
		})
		for _, ka := range group {
			kernels = append(kernels, ka.Kernel)
			arches = append(arches, ka.Arch)
		}
	}
	return kernels, arches
}
