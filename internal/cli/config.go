package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/config"
)

// sourceFlags are the flags of every command that reads a SOURCE.
type sourceFlags struct {
	exclude  []string
	platform string
	scope    string
	insecure []string
}

// addSourceFlags adds --exclude and the image flags.
func addSourceFlags(cmd *cobra.Command, f *sourceFlags) {
	cmd.Flags().StringArrayVar(&f.exclude, "exclude", nil, "skip paths matching this glob, relative to the scanned directory, before opening them (repeatable; ** crosses directories, e.g. './testdata/**')")
	cmd.Flags().StringVar(&f.platform, "platform", "", "image: the platform to take from a multi-platform index, os/arch[/variant] (default linux/ and the host's architecture)")
	cmd.Flags().StringVar(&f.scope, "scope", "squashed", "image: squashed (what the image holds) or all-layers (also packages a later layer removed)")
	cmd.Flags().StringArrayVar(&f.insecure, "insecure-registry", nil, "image: reach this registry host (host:port) over plain HTTP; by name only (repeatable)")
}

// loadConfig finds and reads the configuration: --config when given (it
// must exist), else .hallmark.yaml at the scanned directory, else in the
// current directory. It returns nil when there is none.
func loadConfig(cmd *cobra.Command, path string) (*config.File, error) {
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		f, err := config.Load(p)
		if err != nil {
			return nil, withCode(ExitError, fmt.Errorf("--config: %w", err))
		}
		return f, nil
	}
	var found string
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		found = config.Find(path)
	}
	if found == "" {
		found = config.Find(".")
	}
	if found == "" {
		return nil, nil
	}
	f, err := config.Load(found)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	return f, nil
}

// setting fills a flag's variable from the configuration file when the
// flag was not given on the command line: flags override the file.
type setting struct {
	cmd *cobra.Command
	cfg *config.File
}

func (s setting) str(flag string, dst *string, v string) {
	if v != "" && !s.cmd.Flags().Changed(flag) {
		*dst = v
	}
}

func (s setting) strs(flag string, dst *[]string, v []string) {
	if len(v) > 0 && !s.cmd.Flags().Changed(flag) {
		*dst = v
	}
}

func (s setting) boolean(flag string, dst *bool, v *bool) {
	if v != nil && !s.cmd.Flags().Changed(flag) {
		*dst = *v
	}
}

// applyConfig loads the configuration for a command run on path and
// applies it to the flags that were not given, through apply.
func applyConfig(cmd *cobra.Command, path string, apply func(s setting, c *config.File)) error {
	c, err := loadConfig(cmd, path)
	if err != nil || c == nil {
		return err
	}
	apply(setting{cmd, c}, c)
	return nil
}

func newConfigCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Settings from " + config.FileName,
	}
	show := &cobra.Command{
		Use:   "show [PATH]",
		Short: "Print the effective settings for PATH (default \".\") and where each came from",
		Long: `Print the settings a hallmark command run on PATH would use: from flags'
defaults, the environment (HALLMARK_DB) and the configuration file (--config,
else ` + config.FileName + ` in PATH, else in the current directory), with the
origin of each. Flags given to a command override all of these.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			if err := checkChoice("output format", format, []string{"table", "json"}); err != nil {
				return withCode(ExitError, err)
			}
			c, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			rows, err := effectiveSettings(e, c)
			if err != nil {
				return withCode(ExitError, err)
			}
			return writeSettings(e.stdout, format, c, rows)
		},
	}
	show.Flags().StringVarP(&format, "output-format", "o", "table", "output format: table, json")
	cmd.AddCommand(show)
	return cmd
}

// settingRow is one effective setting.
type settingRow struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Origin string `json:"origin"`
}

func effectiveSettings(e *env, c *config.File) ([]settingRow, error) {
	var rows []settingRow
	add := func(key string, v any, set bool, def any) {
		if set {
			rows = append(rows, settingRow{key, v, c.Origin(key)})
		} else {
			rows = append(rows, settingRow{key, def, "default"})
		}
	}
	// The database directory: file, then $HALLMARK_DB, then the cache.
	switch {
	case c != nil && c.DB != "":
		rows = append(rows, settingRow{"db", c.DB, c.Origin("db")})
	case e.getenv("HALLMARK_DB") != "":
		rows = append(rows, settingRow{"db", e.getenv("HALLMARK_DB"), "environment (HALLMARK_DB)"})
	default:
		d, err := dbDir(e, "")
		if err != nil {
			return nil, err
		}
		rows = append(rows, settingRow{"db", d, "default"})
	}
	if c == nil {
		c = &config.File{}
	}
	add("exclude", c.Exclude, len(c.Exclude) > 0, []string{})
	add("policy", c.Policy, c.Policy != "", "")
	add("vex", c.VEX, len(c.VEX) > 0, []string{})
	add("fail-on", c.FailOn, c.FailOn != "", "none")
	if c.FailOnUnchecked != nil {
		add("fail-on-unchecked", *c.FailOnUnchecked, true, false)
	} else {
		add("fail-on-unchecked", false, false, false)
	}
	defaults := map[string]string{"scan": "table", "sbom": "cyclonedx-json", "policy": "table"}
	for _, cmd := range config.Commands {
		v, ok := c.Output[cmd]
		add("output."+cmd, v, ok, defaults[cmd])
	}
	return rows, nil
}

func writeSettings(w io.Writer, format string, c *config.File, rows []settingRow) error {
	if format == "json" {
		file := ""
		if c != nil {
			file = c.Path
		}
		return writeJSON(w, struct {
			File     string       `json:"file"`
			Settings []settingRow `json:"settings"`
		}{file, rows})
	}
	if c != nil {
		fmt.Fprintf(w, "configuration file: %s\n\n", c.Path)
	} else {
		fmt.Fprintf(w, "configuration file: none (%s not found)\n\n", config.FileName)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
	for _, r := range rows {
		v := fmt.Sprint(r.Value)
		switch x := r.Value.(type) {
		case []string:
			v = strings.Join(x, ", ")
			if v == "" {
				v = "-"
			}
		case string:
			if x == "" {
				v = "-"
			}
		case bool:
			v = strconv.FormatBool(x)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Key, v, r.Origin)
	}
	return tw.Flush()
}
