package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"

	"github.com/switchboard-hq/switchboard/internal/version"
)

// subcommands is filled by each command's file in its init function, so that
// adding a command touches only its own file.
var subcommands []func() *cobra.Command

func newRootCommand() *cobra.Command {
	var colorMode string
	root := &cobra.Command{
		Use:   "switchboard",
		Short: "LLM provider configuration as code for Glow and Gateflow",
		Long: `Switchboard reads HCL files that describe Glow and Gateflow providers and
makes the services match them: validate checks the files, plan shows the
changes (and can save them), apply makes them, show prints a saved plan,
import writes the configuration of what exists, fmt formats the files.
Keys live in Vault and are only referenced.

Flags take Terraform's spellings too: -out=FILE, -var NAME=VALUE,
-no-color, -auto-approve and every other long flag with one dash. Shell
completion ('switchboard completion bash|zsh|fish|powershell') completes
addresses for --target and --rotate and the formats of --format.`,
		Example: `  switchboard validate providers/
  switchboard plan --out plan.sbplan providers/
  switchboard apply plan.sbplan
  source <(switchboard completion bash)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
		// Checks of flags every command that has them shares, before the
		// command reads anything.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			mode, err := views.ParseColorMode(colorMode)
			if err != nil {
				return err
			}
			stream(cmd).SetColorMode(mode)
			if f := cmd.Flags().Lookup("parallelism"); f != nil {
				if n, err := cmd.Flags().GetInt("parallelism"); err == nil && n < 1 {
					return fmt.Errorf("--parallelism must be at least 1, got %d: it is how many API calls run at once", n)
				}
			}
			if n, err := cmd.Flags().GetInt("vault-parallelism"); err == nil && n < 0 {
				return fmt.Errorf("--vault-parallelism must be at least 1, got %d: it is how many Vault reads run at once", n)
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&colorMode, "color", "auto", "colour the output: auto (a terminal, unless NO_COLOR or TERM=dumb), always (also FORCE_COLOR), never")
	for _, sub := range subcommands {
		root.AddCommand(sub())
	}
	completeFlagValues(root)
	// Subcommands inherit this context unless a caller replaces it, so
	// that credentials(cmd) reaches this run's registry even when a test
	// executes the command without run.
	root.SetContext(withCredentials(context.Background(), newCredentials()))
	return root
}
