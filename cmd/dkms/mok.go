package main

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/dkms-go/dkms/internal/sign"
)

// cmdGenerateMOK makes the signing key and certificate if they are missing
// (§3.13), natively: no openssl needed.
func (a *app) cmdGenerateMOK() error {
	keyPath, certPath := mokPaths(a.frameworkFor(a.firstKernel(), a.firstArch()), a.layout.DKMS)
	a.rep.say("Signing key: %s", keyPath)
	a.rep.say("Public certificate (MOK): %s", certPath)
	if isFile(keyPath) && isFile(certPath) {
		return nil
	}
	if !a.generateMOK(keyPath, certPath, false) {
		return silent(exitGeneric)
	}
	return nil
}

// generateMOK creates a missing key pair and says so. It never overwrites
// an existing key. When building (replaceOrphanCert) a certificate whose
// key is gone is replaced, as the reference replaces it; generate_mok
// leaves it for the user to decide. It reports whether both now exist.
func (a *app) generateMOK(keyPath, certPath string, replaceOrphanCert bool) bool {
	a.rep.say("Certificate or key are missing, generating self signed certificate for MOK...")
	if replaceOrphanCert && !isFile(keyPath) && isFile(certPath) && isDir(filepath.Dir(keyPath)) {
		// A certificate whose key is gone signs nothing: it is replaced,
		// as the reference replaces it, when a new key can be written at
		// all. A key is never replaced.
		a.runner.Remove(certPath)
	}
	a.runner.Step("generate_mok " + keyPath)
	if err := sign.GenerateMOK(keyPath, certPath, time.Now()); err != nil {
		// The reference's openssl writes the key, then the certificate,
		// and its message names the first file that is missing after that.
		// Nothing we could not write in full is left, but the message names
		// the same file.
		if isFile(keyPath) || (isDir(filepath.Dir(keyPath)) && !isDir(filepath.Dir(certPath))) {
			a.rep.say("Certificate file %s not found and can't be generated, modules won't be signed", certPath)
		} else {
			a.rep.say("Key file %s not found and can't be generated, modules won't be signed", keyPath)
		}
		a.mokFailed(keyPath, certPath, err)
		return false
	}
	return true
}

// mokFailed explains why no key pair was generated. Half a pair is the
// case to spell out: unlike the reference, which regenerates both files,
// we never overwrite a key (modules already signed with it and a MOK
// already enrolled would stop matching), so the user has to choose.
func (a *app) mokFailed(keyPath, certPath string, err error) {
	// Only when the missing file could have been written is the refusal
	// ours to explain; otherwise the reference's line above says it all.
	canWrite := isDir(filepath.Dir(keyPath)) && isDir(filepath.Dir(certPath))
	switch {
	case errors.Is(err, sign.ErrMOKExists) && !canWrite:
	case errors.Is(err, sign.ErrMOKExists) && isFile(keyPath):
		a.rep.warn("The signing key "+keyPath+" exists but its certificate "+certPath+" is missing.",
			"dkms never overwrites a signing key: restore the certificate, or move the key away to generate a new pair.")
	case errors.Is(err, sign.ErrMOKExists):
		a.rep.warn("The certificate "+certPath+" exists but its signing key "+keyPath+" is missing.",
			"dkms never overwrites a certificate: restore the key, or move the certificate away to generate a new pair.")
	default:
		if a.o.verbose { // the reference's output has no such line
			a.rep.warn("Generating the signing key failed: " + err.Error())
		}
	}
}

// secureBootHint tells the user, once per run, when Secure Boot is on and
// the certificate modules are signed with is neither enrolled nor pending
// enrollment: such modules would be refused with "Key was rejected by
// service". It prints the command that enrolls it.
func (a *app) secureBootHint(certPath string) {
	if a.hinted {
		return
	}
	a.hinted = true
	efivars := a.sysPath("/sys/firmware/efi/efivars")
	on, err := sign.SecureBootState(efivars)
	if err != nil || !on {
		return
	}
	der, err := os.ReadFile(certPath)
	if err != nil {
		return
	}
	enrolled, pending, err := sign.CertEnrolled(efivars, der)
	if err != nil || enrolled || pending {
		return
	}
	a.rep.warn("Secure Boot is enabled and the module signing certificate "+certPath,
		"is not enrolled: the kernel will refuse modules signed with it.",
		"Enroll it with: mokutil --import "+certPath,
		"then reboot and confirm the enrollment in the MOK manager.")
}
