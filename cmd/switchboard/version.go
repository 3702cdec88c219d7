package main

import (
	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"

	"github.com/switchboard-hq/switchboard/internal/version"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var asJSON bool
		cmd := &cobra.Command{
			Use:   "version",
			Short: "Print the version, commit, build date and Go version",
			Long: `Version prints which Switchboard this is: the release, the commit and the
date it was built from, and the Go version and platform that built it. It
reads nothing and calls no service. With --json it prints one JSON object
with the fields version, commit, build_date, go_version and platform; an
unknown commit or date is an empty string.`,
			Example: `  switchboard version
  switchboard version --json | jq -r .version`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return views.Version(stream(cmd), version.Get(), asJSON)
			},
		}
		cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as a JSON object")
		return cmd
	})
}
