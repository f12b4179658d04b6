// Command pkgdkms writes the packages of this dkms (.deb, .rpm, Arch)
// from a tree staged by scripts/install.sh --destdir; scripts/package.sh
// runs it. It prints the path of each package written, one a line.
//
// Usage: go run ./tools/pkgdkms -stage DIR -out DIR -version V -dkms-version V [flags]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dkms-go/dkms/internal/pack"
	"github.com/dkms-go/dkms/internal/run"
)

const (
	summary     = "Dynamic Kernel Module Support (DKMS), in Go"
	description = "DKMS keeps the source of out-of-tree kernel modules and rebuilds, signs, " +
		"compresses and installs them for every kernel the machine runs. This is a drop-in " +
		"replacement for the dkms shell program: the same commands, options, output, dkms.conf " +
		"and tree layout, the same kernel and package hooks, and in addition locking, crash-safe " +
		"installs, signing and compression without external tools, and the mkdeb, mkbmdeb and " +
		"mkrpm actions."
	copyright = "This package holds dkms, a Go implementation of Dynamic Kernel Module\n" +
		"Support, built from its source repository, and the distribution files of\n" +
		"that repository (kernel hooks, completions, manual page).\n"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := runMain(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgdkms:", err)
		os.Exit(1)
	}
}

func runMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pkgdkms", flag.ContinueOnError)
	o := pack.SelfOptions{Summary: summary, Description: description, Copyright: copyright,
		Homepage: "https://github.com/dkms-go/dkms", License: "unspecified", DocDir: "/usr/share/doc"}
	formats := fs.String("formats", "deb,rpm,archlinux", "package formats, comma separated")
	scripts := fs.String("scripts", "dist/package", "directory of the postinst and postrm scripts")
	fs.StringVar(&o.StageDir, "stage", "", "the tree staged by scripts/install.sh --destdir")
	fs.StringVar(&o.OutDir, "out", ".", "where the packages are written")
	fs.StringVar(&o.Name, "name", "dkms-go", "package name")
	fs.StringVar(&o.Version, "version", "", "package version")
	fs.StringVar(&o.DKMSVersion, "dkms-version", "", "the dkms release it provides")
	fs.StringVar(&o.Arch, "arch", machine(), "architecture of the binary (uname -m)")
	fs.StringVar(&o.Maintainer, "maintainer", "dkms-go maintainers", "Name <address>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.StageDir == "" || o.Version == "" || o.DKMSVersion == "" {
		return fmt.Errorf("-stage, -version and -dkms-version are required")
	}
	o.Formats = strings.Split(*formats, ",")
	o.PostInstall, o.PostRemove = filepath.Join(*scripts, "postinst"), filepath.Join(*scripts, "postrm")
	o.TmpDir = os.TempDir()
	o.MTime = time.Now().UTC()
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		o.MTime = time.Unix(s, 0).UTC()
	}
	paths, err := pack.WriteSelf(ctx, run.New(nil, nil), o)
	for _, p := range paths {
		fmt.Println(p)
	}
	return err
}

// machine is uname -m for the architecture Go builds for.
func machine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "386":
		return "i686"
	case "arm64":
		return "aarch64"
	case "arm":
		return "armv7l"
	}
	return runtime.GOARCH
}
