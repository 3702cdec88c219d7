package main

import (
	"cmp"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

func init() { subcommands = append(subcommands, newShowCommand) }

func newShowCommand() *cobra.Command {
	var (
		format  string
		noColor bool
		comment commentFlags
	)
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Render a saved plan and what it is bound to",
		Long: `Show reads a plan file written by 'switchboard plan --out FILE' and prints it
exactly as apply will execute it. In text format a header first says what
the plan is bound to: the Glow and Gateflow URLs, the Vault address and
namespace, who planned, the owner and the variables (sensitive ones as
digests only). Apply refuses the file anywhere else.

It reads only the file: no service is called. Output: the plan on standard
output (--format text, json or markdown, as plan prints them; --json is
--format json; the Markdown comment has the same marker, naming the
directory the plan was made from, and the same size bound). Exit status: 0, or 1 when the file cannot be read
or is not a plan file.`,
		Example: `  switchboard show plan.sbplan
  switchboard show --format markdown --title "Plan for $SHA" --full-plan-url "$ARTIFACT_URL" plan.sbplan > comment.md`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := jsonFormat(cmd, &format); err != nil {
				return err
			}
			pl, err := readPlanFile(args[0])
			if err != nil {
				return err
			}
			// The marker names the directory the plan was made from, so
			// that a comment from show replaces the one plan posted.
			md, err := comment.options(cmp.Or(pl.Configuration.Dir, "."))
			if err != nil {
				return err
			}
			view, err := views.NewShow(stream(cmd), format, noColor, md)
			if err != nil {
				return err
			}
			return view.Show(args[0], pl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "text", "output format: text, json or markdown")
	f.Bool("json", false, "print the plan as JSON: the same as --format json")
	comment.register(f)
	f.BoolVar(&noColor, "no-color", false, "do not use colors")
	return cmd
}
