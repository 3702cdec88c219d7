package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/internal/version"
)

// subcommands is filled by each command's file in its init function, so that
// adding a command touches only its own file.
var subcommands []func() *cobra.Command

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "switchboard",
		Short:         "LLM provider configuration as code for Glow and Gateflow",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	for _, sub := range subcommands {
		root.AddCommand(sub())
	}
	// Subcommands inherit this context unless a caller replaces it, so
	// that credentials(cmd) reaches this run's registry even when a test
	// executes the command without run.
	root.SetContext(withCredentials(context.Background(), newCredentials()))
	return root
}
