package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/sign"
)

func newSignCmd(e *env) *cobra.Command {
	var keyPath, bundlePath string
	cmd := &cobra.Command{
		Use:   "sign FILE",
		Short: "Sign a file: write a Sigstore bundle with a signature over its digest",
		Long: `Sign FILE with a private key and write a Sigstore bundle (v0.3,
application/vnd.dev.sigstore.bundle.v0.3+json) holding a message signature over the
file's SHA-256 digest (SHA-384/SHA-512 for P-384/P-521 keys, Ed25519ph for Ed25519)
and the key's hint.

The key may be a hallmark or cosign encrypted key, or a PEM PKCS#8/SEC 1/PKCS#1
key; the password comes from $HALLMARK_PASSWORD or a terminal prompt. The file is
streamed: memory use does not depend on its size. Signing is offline: no
transparency-log entry is made, so verify with the public key
(hallmark verify --key, or cosign verify-blob --key ... --insecure-ignore-tlog).`,
		Example: `  hallmark sign app.tar.gz --key release.key
  hallmark sign app.tar.gz --key cosign.key --bundle app.tar.gz.sigstore.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := args[0]
			if keyPath == "" {
				return withCode(ExitError, fmt.Errorf("--key is required"))
			}
			if bundlePath == "" {
				bundlePath = file + ".sigstore.json"
			}
			kp, err := loadKeypair(e, keyPath)
			if err != nil {
				return withCode(ExitError, err)
			}
			alg, err := kp.DigestAlgorithm()
			if err != nil {
				return withCode(ExitError, err)
			}
			set, _, err := digest.File(cmd.Context(), file, alg)
			if err != nil {
				return withCode(ExitError, err)
			}
			b, err := sign.MessageDigest(cmd.Context(), set[alg], kp)
			if err != nil {
				return withCode(ExitError, err)
			}
			data, err := sign.Marshal(b)
			if err != nil {
				return withCode(ExitError, err)
			}
			if err := writeOutput(e, bundlePath, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
				return withCode(ExitError, err)
			}
			fmt.Fprintf(e.stderr, "Signed %s (%s:%s)\nBundle written to %s\n", file, alg, hex.EncodeToString(set[alg]), bundlePath)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key file (hallmark/cosign encrypted, or PEM PKCS#8)")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "write the bundle to FILE (default FILE.sigstore.json; - for standard output)")
	return cmd
}

// loadKeypair reads a private key, asking for its password only when it is
// encrypted.
func loadKeypair(e *env, path string) (*sign.Keypair, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	signer, err := keys.ReadPrivateFile(path, prompter(e).Func())
	if err != nil {
		return nil, err
	}
	return sign.NewKeypair(signer)
}
