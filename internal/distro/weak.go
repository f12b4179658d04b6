package distro

// WeakModules is a distribution's kABI tool: it links the modules
// installed for one kernel into the weak-updates directory of the other
// installed kernels whose kABI they fit, so that those kernels load them
// without a rebuild. dkms feeds it the paths of a module's installed
// files on stdin after an install ("Adding linked weak modules...") and
// before an uninstall ("Removing linked weak modules...").
type WeakModules struct {
	path        string
	add, remove string
	// perKernel: the tool takes the kernel release after its option.
	perKernel bool
}

// WeakModules returns n's tool, below root, or nil when n has none: the
// RHEL family (ID_LIKE starting with rhel: CentOS, Rocky, AlmaLinux; not
// RHEL itself nor Fedora, whose name is "fedora") runs
// /usr/sbin/weak-modules --no-initramfs (dkms never asks for an
// initramfs), the SUSE family /usr/lib/module-init-tools/weak-modules2.
// The caller honours NO_WEAK_MODULES.
func (n Name) WeakModules(root string) *WeakModules {
	switch {
	case n.is("rhel"):
		return &WeakModules{path: rooted(root, "usr/sbin/weak-modules"),
			add: "--add-modules", remove: "--remove-modules"}
	case n.is("sles", "suse", "opensuse"):
		return &WeakModules{path: rooted(root, "usr/lib/module-init-tools/weak-modules2"),
			add: "--add-kernel-modules", remove: "--remove-kernel-modules", perKernel: true}
	}
	return nil
}

// Add is the command line that links the modules of kernel read from
// stdin. For SUSE's weak-modules2 it names kernel: the reference passes
// the literal text ${kernelver} there, never expanded (a bug we fix).
func (w *WeakModules) Add(kernel string) []string { return w.argv(w.add, kernel) }

// Remove is the command line that drops the links of the modules of
// kernel read from stdin.
func (w *WeakModules) Remove(kernel string) []string { return w.argv(w.remove, kernel) }

func (w *WeakModules) argv(op, kernel string) []string {
	if w.perKernel {
		return []string{w.path, op, kernel}
	}
	return []string{w.path, "--no-initramfs", op}
}
