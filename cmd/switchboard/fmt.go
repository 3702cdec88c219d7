package main

import (
	"bytes"
	"fmt"
	"io"
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
		Use:   "fmt [DIR | FILE | -]",
		Short: "Rewrite configuration files in canonical style",
		Long: `Fmt reads the *.hcl and *.sbvars files of DIR (default: the current
directory), or one FILE, rewrites each that is not in canonical style, and
prints the names of the files it changed on standard output. JSON files are
left alone.

With - it reads one configuration from standard input and writes it,
formatted, to standard output (for editors); --check and --diff apply to it
as to a file.

With --check it changes nothing, lists the files that are not formatted and
exits 3 if there are any. With --diff it also prints each change as a
unified diff. A file with syntax errors is left alone, its errors go to
standard error, and fmt exits 2.`,
		Example: `  switchboard fmt providers/
  switchboard fmt --check --diff --recursive .
  switchboard fmt - < providers/main.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			printDiags := func(diags hcl.Diagnostics, read func(string) ([]byte, error)) error {
				errOut := cmd.ErrOrStderr()
				color := stream(cmd).ErrColor(noColor)
				return config.WriteDiagnostics(errOut, diags, config.PrintOptions{Color: color, ReadFile: read})
			}
			if target == "-" {
				return fmtStdin(cmd, check, diff, printDiags)
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
				if err := printDiags(diags, nil); err != nil {
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

// maxStdinSource bounds what fmt - reads: a configuration file may hold no
// more (config.MaxConfigFileSize), and an endless pipe must not fill memory.
const maxStdinSource = config.MaxConfigFileSize

// fmtStdin is fmt -, as terraform fmt - does it: the formatted text on
// standard output (or, with --check or --diff, only the verdict and the
// diff, labelled like a file named "-"), nothing written anywhere else.
func fmtStdin(cmd *cobra.Command, check, diff bool, printDiags func(hcl.Diagnostics, func(string) ([]byte, error)) error) error {
	src, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxStdinSource+1))
	if err != nil {
		return fmt.Errorf("fmt: reading standard input: %w", err)
	}
	if int64(len(src)) > maxStdinSource {
		return fmt.Errorf("fmt: standard input holds more than %d bytes, the most a configuration file may hold", maxStdinSource)
	}
	formatted, diags := config.FormatSource("<stdin>", src)
	if diags.HasErrors() {
		// The printer has no file to show lines from: give it the input.
		read := func(string) ([]byte, error) { return src, nil }
		if err := printDiags(diags, read); err != nil {
			return err
		}
		return exitCode(2)
	}
	out := cmd.OutOrStdout()
	if diff {
		fmt.Fprint(out, config.UnifiedDiff("old/<stdin>", "new/<stdin>", src, formatted))
	}
	if check {
		if !bytes.Equal(src, formatted) {
			return exitCode(3)
		}
		return nil
	}
	if !diff {
		_, err = out.Write(formatted)
	}
	return err
}
