package main

import (
	"os"

	"github.com/dkms-go/dkms/internal/kernel"
)

// host is the running kernel's uname, read once.
var host = func() kernel.Host {
	h, _ := kernel.Running()
	return h
}()

func kernelRunning() string { return host.Release }
func kernelMachine() string { return host.Machine }

// detectDistro reads os-release below the system root (§2.1).
func (a *app) detectDistro() (string, error) {
	root := a.sysRoot
	if root == "" {
		root = "/"
	}
	return kernel.Distro(root)
}

// addonModulesDir is ADDON_MODULES_DIR from the environment (§6).
func addonModulesDir() string { return os.Getenv("ADDON_MODULES_DIR") }
