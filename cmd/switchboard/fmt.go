package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
)

func init() { subcommands = append(subcommands, newFmtCommand) }

func newFmtCommand() *cobra.Command {
	var check, diff, recursive, noColor, jsonOut bool
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
standard error, and fmt exits 2.

With --json, standard output is one JSON document instead (success, files
with name, changed and, with --diff, diff; for -, formatted; diagnostics,
errors included); the exit status is the same.`,
		Example: `  switchboard fmt providers/
  switchboard fmt --check --diff --recursive .
  switchboard fmt - < providers/main.hcl
  switchboard fmt --check --json . | jq -r '.files[] | select(.changed) | .name'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			view := views.NewFmt(stream(cmd), jsonOut, noColor)
			err := runFmt(cmd, view, target, check, diff, recursive)
			var ec exitCode
			if err != nil && jsonOut && !errors.As(err, &ec) {
				// The error is part of the document, not a line on stderr.
				view.Error(err)
				err = exitCode(1)
			}
			if cerr := view.Close(); cerr != nil && err == nil {
				err = cerr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&check, "check", false, "change nothing; list unformatted files and exit 3 if there are any")
	f.BoolVar(&diff, "diff", false, "show the changes as a unified diff")
	f.BoolVar(&recursive, "recursive", false, "also format files in subdirectories")
	f.BoolVar(&noColor, "no-color", false, "do not use colors in error messages")
	f.BoolVar(&jsonOut, "json", false, "print one JSON document: every file read, whether it changed, its diff with --diff, and errors")
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
func fmtStdin(cmd *cobra.Command, view views.Fmt, check, diff bool) error {
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
		if err := view.Diagnostics(diags, read); err != nil {
			return err
		}
		return exitCode(2)
	}
	changed := !bytes.Equal(src, formatted)
	var d string
	if diff {
		d = config.UnifiedDiff("old/<stdin>", "new/<stdin>", src, formatted)
	}
	var out []byte
	if !check && !diff {
		out = formatted
	}
	view.Stdin(changed, d, out)
	if check && changed {
		return exitCode(3)
	}
	return nil
}

// runFmt formats target (a directory, a file or -).
func runFmt(cmd *cobra.Command, view views.Fmt, target string, check, diff, recursive bool) error {
	if target == "-" {
		return fmtStdin(cmd, view, check, diff)
	}
	files, err := config.FormatTargets(target, recursive)
	if err != nil {
		return fmt.Errorf("fmt: %w", err)
	}
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
			view.File(name, false, "")
			continue
		}
		changed++
		var d string
		if diff {
			d = config.UnifiedDiff(diffName("old", name), diffName("new", name), src, formatted)
		}
		view.File(name, true, d)
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
		if err := view.Diagnostics(diags, nil); err != nil {
			return err
		}
		return exitCode(2)
	}
	if check && changed > 0 {
		return exitCode(3)
	}
	return nil
}
