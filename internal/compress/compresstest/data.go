// Package compresstest makes test data for the compression packages:
// deterministic bytes that compress like kernel modules, and random bytes
// that do not compress.
package compresstest

import "math/rand/v2"

// ModuleLike returns n deterministic bytes (a function of n and seed)
// with some of the texture of a kernel module: runs of zero padding,
// repeated symbol-like strings, copies of earlier stretches as code has,
// and code-like noise, so that compression ratios and speeds resemble
// those of real .ko files.
func ModuleLike(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	words := []string{"__ksymtab_", "module_param", "kmalloc", "printk", ".text", ".rodata",
		"license=GPL", "vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions ",
		"\x48\x89\xe5", "\xc3\x90\x90", "\xe8\x00\x00\x00\x00"}
	b := make([]byte, 0, n+300)
	for len(b) < n {
		switch rng.IntN(4) {
		case 0:
			b = append(b, make([]byte, rng.IntN(64))...)
		case 1:
			b = append(b, words[rng.IntN(len(words))]...)
		case 2:
			if len(b) > 300 {
				at := rng.IntN(len(b) - 260)
				b = append(b, b[at:at+2+rng.IntN(250)]...)
			}
		default:
			for range rng.IntN(32) {
				b = append(b, byte(rng.IntN(256)))
			}
		}
	}
	return b[:n]
}

// Random returns n random bytes, the same for the same n and seed.
func Random(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}
