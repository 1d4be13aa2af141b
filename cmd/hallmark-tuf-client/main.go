// Command hallmark-tuf-client speaks the TUF client conformance suite's
// protocol (tuf-conformance's CLIENT-CLI.md) over hallmark's TUF client, so
// that the TUF project's own tests can be run against it:
//
//	hallmark-tuf-client --metadata-dir DIR init TRUSTED_ROOT
//	hallmark-tuf-client --metadata-dir DIR --metadata-url URL refresh
//	hallmark-tuf-client --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH...] \
//	    --target-base-url URL --target-dir DIR download
//
// Exit code 0 on success, 1 on any failure. The suite fakes the clock with
// faketime, which a Go program does not see (it does not read the time
// through libc): when FAKETIME is set, the reference time is what `date
// +%s` (which faketime does fake) prints. Expected failures, with their
// reasons, are in hallmark-tuf-client.xfails beside this file; see
// README.md ("TUF conformance") for how to run the suite.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/tuf"
)

type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hallmark-tuf-client:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("hallmark-tuf-client", flag.ContinueOnError)
	metaDir := fs.String("metadata-dir", "", "trusted metadata directory")
	metaURL := fs.String("metadata-url", "", "repository metadata URL")
	targetBase := fs.String("target-base-url", "", "repository targets URL")
	targetDir := fs.String("target-dir", "", "where downloaded targets go")
	var targets names
	fs.Var(&targets, "target-name", "target path (repeatable, processed in order)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmd := fs.Args()
	if len(cmd) == 0 {
		return fmt.Errorf("no command (init, refresh, download)")
	}
	if *metaDir == "" {
		return fmt.Errorf("--metadata-dir is required")
	}
	switch cmd[0] {
	case "init":
		if len(cmd) != 2 {
			return fmt.Errorf("usage: init TRUSTED_ROOT")
		}
		return tuf.ConformanceInit(*metaDir, cmd[1])
	case "refresh", "download":
		now, err := refTime()
		if err != nil {
			return err
		}
		opts := tuf.ClientOptions{MetadataDir: *metaDir, MetadataURL: *metaURL, TargetsURL: *targetBase, Now: now}
		if cmd[0] == "refresh" {
			return tuf.ConformanceRefresh(opts)
		}
		if *targetDir == "" || *targetBase == "" || len(targets) == 0 {
			return fmt.Errorf("download needs --target-name, --target-base-url and --target-dir")
		}
		return tuf.ConformanceDownload(opts, *targetDir, targets)
	}
	return fmt.Errorf("unknown command %q", cmd[0])
}

// refTime is the clock the suite set with faketime, or the zero time (the
// updater's own clock) when it set none.
func refTime() (time.Time, error) {
	if os.Getenv("FAKETIME") == "" {
		return time.Time{}, nil
	}
	out, err := exec.Command("date", "+%s").Output()
	if err != nil {
		return time.Time{}, fmt.Errorf("read the faked clock with date: %w", err)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("date printed %q: %w", out, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
