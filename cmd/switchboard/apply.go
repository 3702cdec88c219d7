package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/planfile"
)

func init() { subcommands = append(subcommands, newApplyCommand) }

func newApplyCommand() *cobra.Command {
	var (
		flags       planFlags
		autoApprove bool
		verify      bool
		dir         string
	)
	cmd := &cobra.Command{
		Use:   "apply [DIR | PLANFILE]",
		Short: "Make Glow and Gateflow match the configuration",
		Long: `Apply with a directory (default: the current directory) plans, prints the
plan and asks for confirmation before changing anything; --auto-approve skips
the question. Without a terminal to ask on, it refuses unless --auto-approve
is given.

Apply with a plan file saved by 'switchboard plan --out FILE' carries out
exactly that plan, without a question, after checking that nothing it read
has changed since: if a provider, a Gateflow setting or a pinned Vault version
moved, it refuses and asks for a new plan. The connection settings are read
from the configuration in --dir, which must be the one the plan was made from.

Secrets are read from Vault once, when needed, and go only into the request
that sets them. On a failure, apply finishes the operations in flight, starts
nothing new, says what was done and what was not, and exits 1; running apply
again completes the rest. The first Ctrl-C stops starting new operations; the
second aborts those in flight.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			target := argDir(args)
			if info, err := os.Stat(target); err == nil && info.Mode().IsRegular() {
				return applySaved(ctx, cmd, &flags, target, dir, verify)
			}
			cfg, err := flags.load(target, errOut)
			if err != nil {
				return err
			}
			sess, err := connect(ctx, cfg)
			if err != nil {
				return err
			}
			opts, err := flags.options()
			if err != nil {
				return err
			}
			res, err := planner.Make(ctx, cfg, planner.Deps{Clients: sess.clients, Secrets: sess.metadata()}, opts)
			if err != nil {
				return err
			}
			color := flags.color(out)
			if err := renderPlan(out, res.Plan, "text", color, ""); err != nil {
				return err
			}
			if !res.Plan.HasChanges() {
				return nil
			}
			if !autoApprove {
				ok, err := confirm(cmd.InOrStdin(), out, "Do you want to perform these actions?",
					"review the plan and run apply with --auto-approve, or apply a saved plan file")
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintln(out, "\nApply cancelled.")
					return exitCode(1)
				}
			}
			return runApply(ctx, cmd, sess, res, flags.parallelism, verify)
		},
	}
	flags.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&autoApprove, "auto-approve", false, "apply without asking for confirmation")
	f.BoolVar(&verify, "verify", false, "test the connection of every configured Gateflow provider after applying")
	f.StringVar(&dir, "dir", ".", "with a plan file: the configuration directory it was made from")
	return cmd
}

func applySaved(ctx context.Context, cmd *cobra.Command, flags *planFlags, file, dir string, verify bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	payload, err := planfile.Read(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	cfg, err := flags.load(dir, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if now := planner.ConfigChecksum(cfg); payload.ConfigChecksum != now {
		return fmt.Errorf("%s was made from another configuration than the one in %s (%.19s…, now %.19s…): run switchboard plan again", file, dir, payload.ConfigChecksum, now)
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	return runApply(ctx, cmd, sess, &planner.Result{Plan: payload.Plan, Desired: payload.Desired}, flags.parallelism, verify)
}

func runApply(ctx context.Context, cmd *cobra.Command, sess *session, res *planner.Result, parallelism int, verify bool) error {
	out := cmd.OutOrStdout()
	stop := interrupts.register(func() {
		fmt.Fprintln(cmd.ErrOrStderr(), "\nInterrupt received: waiting for the operations in flight to finish. Press Ctrl-C again to abort them.")
	})
	deps := applier.Deps{Glow: sess.clients.Glow, Gateflow: sess.clients.Gateflow}
	if sess.vault != nil {
		deps.Secrets = sess.vault
	}
	fmt.Fprintln(out)
	result, err := applier.Apply(ctx, res.Plan, res.Desired, deps, applier.Options{
		Parallelism: parallelism,
		Verify:      verify,
		Progress:    out,
		Stop:        stop,
	})
	if result == nil {
		return err
	}
	if result.Err() != nil {
		return exitCode(1)
	}
	return err
}
