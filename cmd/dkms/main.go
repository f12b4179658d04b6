// Command dkms is a drop-in replacement for the Dynamic Kernel Module
// Support program: it adds, builds, signs, compresses and installs
// out-of-tree kernel modules for each kernel, with the reference dkms 3.x
// command line, dkms.conf, tree layout, output and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runCLI(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
