package archive

// The layout of a dkms tarball, the reference's (dkms-behaviour §3.12):
// builds under MainTree/K/A, the module source under SourceTree, or, for
// a binaries-only tarball, BinariesOnly holding files PACKAGE_NAME and
// PACKAGE_VERSION and the dkms.conf. mktarball writes it, ldtarball reads
// it, and module packages carry one for common.postinst to load.
const (
	MainTree     = "dkms_main_tree"
	SourceTree   = "dkms_source_tree"
	BinariesOnly = "dkms_binaries_only"
)

// Suffix ends the name of a dkms tarball: common.postinst loads
// <TARBALL_ROOT>/<module>-<version>.dkms.tar.gz.
const Suffix = ".dkms.tar.gz"
