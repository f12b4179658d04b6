package kbuild

import "testing"

func TestMakeCommand(t *testing.T) {
	const k, ksrc, dir = "6.1.0-13-amd64", "/lib/modules/6.1.0-13-amd64/build", "/var/lib/dkms/foo/1.0/build"
	for _, tc := range []struct {
		name   string
		chosen string
		jobs   int
		llvm   bool
		want   string
	}{
		{"default", "", 4, false,
			"make -j4 KERNELRELEASE=6.1.0-13-amd64 -C /lib/modules/6.1.0-13-amd64/build M=/var/lib/dkms/foo/1.0/build"},
		{"default, -j0", "", 0, false,
			"make -j KERNELRELEASE=6.1.0-13-amd64 -C /lib/modules/6.1.0-13-amd64/build M=/var/lib/dkms/foo/1.0/build"},
		{"default, LLVM", "", 2, true,
			"make -j2 KERNELRELEASE=6.1.0-13-amd64 -C /lib/modules/6.1.0-13-amd64/build M=/var/lib/dkms/foo/1.0/build LLVM=1"},
		{"custom make", "make -C src KVER=6.1", 8, false, "make -j8 KERNELRELEASE=6.1.0-13-amd64 -C src KVER=6.1"},
		{"bare make", "make", 1, false, "make -j1 KERNELRELEASE=6.1.0-13-amd64"},
		{"bare make, LLVM", "make", 0, true, "make -j KERNELRELEASE=6.1.0-13-amd64 LLVM=1"},
		{"make and a tab", "make\tall", 3, false, "make -j3 KERNELRELEASE=6.1.0-13-amd64\tall"},
		{"not make", "./build.sh 6.1", 4, false, "./build.sh 6.1"},
		{"not make, LLVM", "./build.sh", 4, true, "./build.sh LLVM=1"},
		{"makefile word", "makeself x", 4, false, "makeself x"},
		{"make not first", "cd src && make", 4, false, "cd src && make"},
		{"leading blank", " make all", 4, false, " make all"},
	} {
		if got := MakeCommand(tc.chosen, k, ksrc, dir, tc.jobs, tc.llvm); got != tc.want {
			t.Errorf("%s: MakeCommand = %q, want %q", tc.name, got, tc.want)
		}
	}
}
