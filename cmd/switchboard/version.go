package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/internal/version"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "switchboard", version.Version)
				return err
			},
		}
	})
}
