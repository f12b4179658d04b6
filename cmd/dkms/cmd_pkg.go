package main

import (
	"os"
	"strconv"
	"time"

	"github.com/dkms-go/dkms/internal/lifecycle"
)

// cmdPackage runs mkdeb, mkbmdeb or mkrpm, with the maintainer and time
// stamp the environment asks for.
func (a *app) cmdPackage() error {
	return a.s.Package(a.ctx, a.request(), lifecycle.PackageMeta{Maintainer: pkgMaintainer(), Time: pkgTime()})
}

// pkgMaintainer names the maintainer as Debian's tools do: DEBFULLNAME
// and DEBEMAIL (or EMAIL), else root of this host.
func pkgMaintainer() string {
	name := getenvDefault("DEBFULLNAME", "Dynamic Kernel Module Support")
	mail := getenvDefault("DEBEMAIL", os.Getenv("EMAIL"))
	if mail == "" {
		host, _ := os.Hostname()
		mail = "root@" + host
	}
	return name + " <" + mail + ">"
}

// pkgTime is the packages' time stamp: SOURCE_DATE_EPOCH when set, so a
// build can be reproduced, else now.
func pkgTime() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Now().UTC()
}
