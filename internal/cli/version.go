package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// These may be set at link time (-ldflags "-X ...") by release builds; build
// information from the Go toolchain fills them otherwise.
var (
	version = ""
	commit  = ""
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string
	Commit    string
	GoVersion string
}

// Build returns the version, commit and Go version of the running binary.
func Build() BuildInfo {
	b := BuildInfo{Version: version, Commit: commit}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = info.GoVersion
		if b.Version == "" && info.Main.Version != "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && b.Commit != "" {
					b.Commit += "-dirty"
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := Build()
			fmt.Fprintf(e.stdout, "hallmark %s\ncommit %s\n%s\n", b.Version, b.Commit, b.GoVersion)
			return nil
		},
	}
}
