package main

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
)

func init() { subcommands = append(subcommands, newValidateCommand) }

func newValidateCommand() *cobra.Command {
	var (
		vars, varFiles   []string
		jsonOut, noColor bool
	)
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check a configuration without contacting any service",
		Long: `Validate reads the *.hcl and *.hcl.json files of DIR (default: the current
directory) and reports every problem that can be found without the network:
syntax, unknown blocks and arguments, types, references, duplicate addresses
and names, URLs, Gateflow provider IDs, secrets written as literals, and
for_each misuse. Variables are read as plan reads them (see 'switchboard plan
--help'); Vault and the services are not called.

Output: the diagnostics on standard error and "Success!" on standard output,
or with --json one JSON document on standard output (valid, error_count,
warning_count, diagnostics with their ranges). Exit status: 0 when the
configuration is valid (warnings allowed), 1 otherwise.`,
		Example: `  switchboard validate providers/
  switchboard validate --json --var-file envs/prod.sbvars providers/ | jq .diagnostics`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			values, diags := config.ParseVarFlags(vars)
			if !diags.HasErrors() {
				var more hcl.Diagnostics
				_, more = config.Load(dir, config.LoadOptions{Vars: values, VarFiles: varFiles})
				diags = append(diags, more...)
			}
			if err := views.NewValidate(stream(cmd), jsonOut, noColor).Result(diags); err != nil {
				return err
			}
			if diags.HasErrors() {
				return exitCode(1)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&vars, "var", nil, "set a variable: --var NAME=VALUE (repeatable)")
	f.StringArrayVar(&varFiles, "var-file", nil, "read variables from a *.sbvars file (HCL, or JSON when *.json; repeatable; later files win)")
	f.BoolVar(&jsonOut, "json", false, "print the result as JSON")
	f.BoolVar(&noColor, "no-color", false, "do not use colors")
	return cmd
}
