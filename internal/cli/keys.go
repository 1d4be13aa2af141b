package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/keys"
)

func newKeysCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage signing keys",
	}
	cmd.AddCommand(newKeysGenerateCmd(e))
	return cmd
}

func newKeysGenerateCmd(e *env) *cobra.Command {
	var typ, out string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a signing key pair (cosign-compatible encrypted private key)",
		Long: `Generate a key pair: PREFIX.key, the private key encrypted with a password
(scrypt + NaCl secretbox, the "ENCRYPTED SIGSTORE PRIVATE KEY" format cosign uses,
so cosign reads it too), written with mode 0600; and PREFIX.pub, the PEM public key
to hand to those who verify.

The password comes from $HALLMARK_PASSWORD or, on a terminal, from a prompt that
does not echo. It is never taken from the command line. Existing files are never
overwritten.`,
		Example: `  hallmark keys generate --out release
  HALLMARK_PASSWORD=... hallmark keys generate --type ed25519 --out ci`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkChoice("key type", typ, []string{string(keys.ECDSAP256), string(keys.Ed25519)}); err != nil {
				return withCode(ExitError, err)
			}
			pw, err := prompter(e).Password(true)
			if err != nil {
				return withCode(ExitError, err)
			}
			priv, err := keys.Generate(keys.Type(typ))
			if err != nil {
				return withCode(ExitError, err)
			}
			keyPath, pubPath, err := keys.WritePair(out, priv, pw)
			if err != nil {
				return withCode(ExitError, err)
			}
			fp, _ := keys.Fingerprint(priv.Public())
			fmt.Fprintf(e.stderr, "Private key written to %s (encrypted, mode 0600)\nPublic key written to %s (SHA256:%s)\n", keyPath, pubPath, fp)
			return nil
		},
	}
	cmd.Flags().StringVar(&typ, "type", string(keys.ECDSAP256), "key type: ecdsa-p256 or ed25519")
	cmd.Flags().StringVar(&out, "out", "hallmark", "write PREFIX.key and PREFIX.pub")
	return cmd
}

// prompter reads key passwords from $HALLMARK_PASSWORD or the terminal.
func prompter(e *env) keys.Prompter {
	return keys.Prompter{Getenv: e.getenv, In: e.stdin, Out: e.stderr}
}
