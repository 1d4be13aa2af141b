package limits

// Bounds on signing material: keys, Sigstore bundles, trusted roots.
const (
	// KeyBytes is the largest key file (PEM public or private key) read.
	KeyBytes = 64 << 10
	// BundleBytes is the largest Sigstore bundle read. Real bundles are a
	// few KB (tens with a large DSSE payload); attestation predicates such
	// as SBOMs travel inside them.
	BundleBytes = 128 << 20
	// TrustedRootBytes is the largest Sigstore trusted_root.json read.
	TrustedRootBytes = 16 << 20
	// PredicateBytes is the largest attestation predicate read from a file.
	PredicateBytes = 64 << 20
)
