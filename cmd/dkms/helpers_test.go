package main

import "os"

// executableFile reports whether p is a regular file with an execute bit.
func executableFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
