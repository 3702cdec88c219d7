package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/config"
)

func init() { subcommands = append(subcommands, newFmtCommand) }

func newFmtCommand() *cobra.Command {
	var check, diff, recursive, noColor bool
	cmd := &cobra.Command{
		Use:   "fmt [DIR]",
		Short: "Rewrite configuration files in canonical style",
		Long: `Fmt rewrites the *.hcl files of DIR (default: the current directory; or one
file) in canonical style and prints the names of the files it changed.
With --check it changes nothing, lists the files that are not formatted and
exits 3 if there are any. A file with syntax errors is left alone and fmt
exits 2.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			files, err := config.FormatTargets(target, recursive)
			if err != nil {
				return fmt.Errorf("fmt: %w", err)
			}
			out := cmd.OutOrStdout()
			var diags hcl.Diagnostics
			changed := 0
			for _, name := range files {
				src, err := os.ReadFile(name)
				if err != nil {
					return fmt.Errorf("fmt: %w", err)
				}
				formatted, fdiags := config.FormatSource(name, src)
				if fdiags.HasErrors() {
					diags = append(diags, fdiags...)
					continue
				}
				if bytes.Equal(src, formatted) {
					continue
				}
				changed++
				fmt.Fprintln(out, name)
				if diff {
					fmt.Fprint(out, config.UnifiedDiff(diffName("old", name), diffName("new", name), src, formatted))
				}
				if !check {
					info, err := os.Stat(name)
					if err != nil {
						return fmt.Errorf("fmt: %w", err)
					}
					if err := os.WriteFile(name, formatted, info.Mode().Perm()); err != nil {
						return fmt.Errorf("fmt: %w", err)
					}
				}
			}
			if len(diags) > 0 {
				errOut := cmd.ErrOrStderr()
				color := !noColor && os.Getenv("NO_COLOR") == "" && isTerminal(errOut)
				if err := config.WriteDiagnostics(errOut, diags, config.PrintOptions{Color: color}); err != nil {
					return err
				}
				return exitCode(2)
			}
			if check && changed > 0 {
				return exitCode(3)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&check, "check", false, "change nothing; list unformatted files and exit 3 if there are any")
	f.BoolVar(&diff, "diff", false, "show the changes as a unified diff")
	f.BoolVar(&recursive, "recursive", false, "also format files in subdirectories")
	f.BoolVar(&noColor, "no-color", false, "do not use colors in error messages")
	return cmd
}

// diffName labels a side of a diff as terraform fmt -diff does: old/FILE,
// new/FILE.
func diffName(side, name string) string {
	return side + "/" + strings.TrimPrefix(filepath.ToSlash(name), "/")
}
