package sign

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"sort"
	"strings"

	// Register the digests a module signature may use, so that
	// crypto.Hash.New works for every entry of hashes.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
)

// digest pairs a Go hash with the OID that OpenSSL writes into the CMS
// digestAlgorithm fields for it.
type digest struct {
	hash crypto.Hash
	oid  asn1.ObjectIdentifier
}

// hashes maps the names accepted in CONFIG_MODULE_SIG_HASH (and by
// sign-file, which asks OpenSSL's EVP_get_digestbyname) to digests. The
// sha3 names exist since Linux 6.7.
var hashes = map[string]digest{
	"sha1":     {crypto.SHA1, asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}},
	"sha224":   {crypto.SHA224, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}},
	"sha256":   {crypto.SHA256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}},
	"sha384":   {crypto.SHA384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}},
	"sha512":   {crypto.SHA512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}},
	"sha3-256": {crypto.SHA3_256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}},
	"sha3-384": {crypto.SHA3_384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 9}},
	"sha3-512": {crypto.SHA3_512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 10}},
}

// Hashes returns the accepted hash names, sorted, for messages and tests.
func Hashes() []string {
	names := make([]string, 0, len(hashes))
	for name := range hashes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// lookupHash resolves a hash name case-insensitively, as OpenSSL does, so
// that a kernel config value like "SHA256" works too.
func lookupHash(name string) (digest, error) {
	d, ok := hashes[strings.ToLower(name)]
	if !ok {
		return digest{}, fmt.Errorf("unsupported hash %q (want one of %s)", name, strings.Join(Hashes(), ", "))
	}
	return d, nil
}
