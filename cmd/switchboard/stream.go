package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

type streamKey struct{}

func withStream(ctx context.Context, s *views.Stream) context.Context {
	return context.WithValue(ctx, streamKey{}, s)
}

// stream is the run's stream. A command executed without run (a test
// calling Execute) gets one over its own writers, with the terminal-ness
// of what is behind them.
func stream(cmd *cobra.Command) *views.Stream {
	if s, ok := cmd.Context().Value(streamKey{}).(*views.Stream); ok {
		return s
	}
	in, out, errOut := cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	s := views.NewStream(in, out, errOut, views.Detect(in, out, errOut), os.Getenv)
	cmd.SetContext(withStream(cmd.Context(), s))
	return s
}

// streamIn is the stream of the run ctx belongs to: a command's context
// once stream(cmd) has been called, which every command does before it
// connects.
func streamIn(ctx context.Context) *views.Stream {
	if s, ok := ctx.Value(streamKey{}).(*views.Stream); ok {
		return s
	}
	panic("switchboard: the context has no stream: call stream(cmd) first")
}

// jsonFormat makes --json, the spelling every command shares, the same as
// --format json on the commands that have both; with another --format it
// is refused rather than one of them silently winning.
func jsonFormat(cmd *cobra.Command, format *string) error {
	on, _ := cmd.Flags().GetBool("json")
	if !on {
		return nil
	}
	if cmd.Flags().Changed("format") && *format != "json" {
		return fmt.Errorf("--json is --format json: it cannot be combined with --format %s", *format)
	}
	*format = "json"
	return nil
}
