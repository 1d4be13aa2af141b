package cli

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/limits"
)

var errNoFiles = errors.New("no files given")

func newHashCmd(e *env) *cobra.Command {
	var algs []string
	var check string
	cmd := &cobra.Command{
		Use:   "hash FILE...",
		Short: "Print or check cryptographic digests of files (sha256sum-compatible)",
		Long: `Print the digests of each FILE, streamed (constant memory) and computed for all
algorithms in one pass. With one algorithm the output is sha256sum's
("HEX  NAME"); with several, the BSD tagged form ("SHA256 (NAME) = HEX").

--check SUMS reads sha256sum/sha512sum output (or the tagged form) and checks each
listed file: exit 1 when any digest differs or a file is missing.`,
		Example: `  hallmark hash app.tar.gz
  hallmark hash -a sha256,sha512 dist/*
  hallmark hash --check SHA256SUMS`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if check != "" {
				if len(args) > 0 {
					return withCode(ExitError, fmt.Errorf("--check takes no FILE arguments"))
				}
				return runHashCheck(cmd, e, check)
			}
			if len(args) == 0 {
				return withCode(ExitError, errNoFiles)
			}
			var as []digest.Algorithm
			for _, a := range algs {
				alg, err := digest.ParseAlgorithm(strings.ToLower(a))
				if err != nil {
					return withCode(ExitError, err)
				}
				as = append(as, alg)
			}
			w := bufio.NewWriter(e.stdout)
			defer w.Flush()
			for _, file := range args {
				set, _, err := digest.File(cmd.Context(), file, as...)
				if err != nil {
					return withCode(ExitError, err)
				}
				for _, a := range as {
					if len(as) == 1 {
						fmt.Fprintf(w, "%s  %s\n", set.Hex(a), file)
					} else {
						fmt.Fprintf(w, "%s (%s) = %s\n", strings.ToUpper(string(a)), file, set.Hex(a))
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&algs, "algorithm", "a", []string{"sha256"}, "digest algorithms: sha256, sha384, sha512")
	cmd.Flags().StringVarP(&check, "check", "c", "", "check the digests listed in SUMS")
	return cmd
}

// runHashCheck checks a sums file; names are relative to its directory.
func runHashCheck(cmd *cobra.Command, e *env, sums string) error {
	fh, err := os.Open(sums)
	if err != nil {
		return withCode(ExitError, err)
	}
	defer fh.Close()
	base := filepath.Dir(sums)
	sc := bufio.NewScanner(io.LimitReader(fh, limits.ManifestBytes))
	var bad, total int
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		alg, want, name, err := parseSumLine(text)
		if err != nil {
			return withCode(ExitError, fmt.Errorf("%s:%d: %w", sums, line, err))
		}
		total++
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(base, name)
		}
		set, _, err := digest.File(cmd.Context(), path, alg)
		switch {
		case err != nil:
			bad++
			fmt.Fprintf(e.stdout, "%s: FAILED open or read (%v)\n", name, err)
		case set.Hex(alg) != want:
			bad++
			fmt.Fprintf(e.stdout, "%s: FAILED (%s %s, listed %s)\n", name, alg, set.Hex(alg), want)
		default:
			fmt.Fprintf(e.stdout, "%s: OK\n", name)
		}
	}
	if err := sc.Err(); err != nil {
		return withCode(ExitError, fmt.Errorf("read %s: %w", sums, err))
	}
	if total == 0 {
		return withCode(ExitError, fmt.Errorf("%s: no checksum lines", sums))
	}
	if bad > 0 {
		return withCode(ExitFindings, fmt.Errorf("%d of %d computed checksums did NOT match", bad, total))
	}
	return nil
}

// parseSumLine reads "HEX  NAME" / "HEX *NAME" (the algorithm from the
// digest length) or "SHA256 (NAME) = HEX".
func parseSumLine(s string) (digest.Algorithm, string, string, error) {
	if i := strings.Index(s, " ("); i > 0 && strings.Contains(s, ") = ") {
		alg, err := digest.ParseAlgorithm(strings.ToLower(s[:i]))
		if err != nil {
			return "", "", "", err
		}
		j := strings.LastIndex(s, ") = ")
		name, want := s[i+2:j], strings.ToLower(s[j+4:])
		return alg, want, name, checkHexLen(alg, want)
	}
	hexd, name, ok := strings.Cut(s, " ")
	if !ok {
		return "", "", "", fmt.Errorf("not a checksum line")
	}
	name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
	hexd = strings.ToLower(hexd)
	var alg digest.Algorithm
	switch len(hexd) {
	case 64:
		alg = digest.SHA256
	case 96:
		alg = digest.SHA384
	case 128:
		alg = digest.SHA512
	default:
		return "", "", "", fmt.Errorf("digest of %d hex digits is not sha256, sha384 or sha512", len(hexd))
	}
	return alg, hexd, name, checkHexLen(alg, hexd)
}

func checkHexLen(alg digest.Algorithm, h string) error {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != alg.Hash().Size() {
		return fmt.Errorf("malformed %s digest %q", alg, h)
	}
	return nil
}
