// Package cli implements hallmark's commands. Run is the whole program
// minus os.Args and os.Exit, so tests drive the real CLI in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes. They are a contract with CI systems and documented in the
// README.
const (
	ExitOK         = 0 // success, nothing found at or above the threshold
	ExitFindings   = 1 // findings, violations or a failed verification
	ExitError      = 2 // usage or input error; nothing (trustworthy) written
	ExitIncomplete = 3 // output written, but some input could not be read
	ExitNoData     = 4 // no vulnerability data imported: nothing was checked
)

// exitError carries an exit code with an error message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that Run exits with code.
func withCode(code int, err error) error { return &exitError{code, err} }

// env gives commands their streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Run runs hallmark with the given arguments and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	tuneGC(e.getenv, nil)
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "hallmark: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "hallmark: %v\n", err)
	return ExitError
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "hallmark",
		Short:         "Secure a software supply chain: SBOMs, vulnerabilities, policy, signing, verification",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("quiet", "q", false, "no progress output on stderr")
	root.PersistentFlags().String("config", "", "settings file (default: .hallmark.yaml in the scanned directory, else in the current one)")
	root.AddCommand(newVersionCmd(e), newSBOMCmd(e))
	root.AddCommand(newScanCmd(e), newDBCmd(e))
	root.AddCommand(newPolicyCmd(e), newConfigCmd(e))
	root.AddCommand(newServeCmd(e), newPushCmd(e), newDiffCmd(e), newAssessCmd(e))
	root.AddCommand(newReleaseCmd(e), newVerifyReleaseCmd(e), newTUFCmd(e), newUpdateCmd(e))
	root.AddCommand(newKeysCmd(e), newSignCmd(e), newAttestCmd(e), newVerifyCmd(e), newHashCmd(e))
	return root
}
