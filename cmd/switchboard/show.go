package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/planner/planfile"
)

func init() { subcommands = append(subcommands, newShowCommand) }

func newShowCommand() *cobra.Command {
	var (
		format, title string
		noColor       bool
	)
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Render a saved plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			pl, err := planfile.Read(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			out := cmd.OutOrStdout()
			color := !noColor && os.Getenv("NO_COLOR") == "" && isTerminal(out)
			return renderPlan(out, pl.Plan, format, color, title)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "text", "output format: text, json or markdown")
	f.StringVar(&title, "title", "", "title of the markdown comment")
	f.BoolVar(&noColor, "no-color", false, "do not use colors")
	return cmd
}
