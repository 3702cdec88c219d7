package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/planfile"
)

func init() { subcommands = append(subcommands, newApplyCommand) }

func newApplyCommand() *cobra.Command {
	var (
		flags       planFlags
		autoApprove bool
		verify      bool
		reviewed    string
		jsonOut     bool
	)
	cmd := &cobra.Command{
		Use:   "apply [DIR | PLANFILE]",
		Short: "Make Glow and Gateflow match the configuration",
		Long: `Apply with a directory (default: the current directory) plans, prints the
plan and asks for confirmation before changing anything; --auto-approve skips
the question. Without a terminal to ask on, it refuses unless --auto-approve
is given.

Apply with a plan file saved by 'switchboard plan --out FILE' carries out
exactly that plan, without a question. The file embeds the configuration and
the variables it was made with, so neither the directory nor --var is needed
again (sensitive variables excepted: set them as for the plan). Before any
change it checks that the plan is bound to where this apply points (the Glow
and Gateflow URLs, the Vault address and namespace, the Glow token's scope,
the variables), that the plan follows from its own configuration and live
snapshot (an edited file is refused), and that nothing it read has moved
since; otherwise it refuses and says what differs.

Apply with --reviewed PLANFILE DIR is for the merge of a pull request: it
plans DIR afresh against the live state and applies only if that plan makes
exactly the changes of the reviewed plan file (the same addresses, actions,
values, Vault references and versions). Objects the plans do not touch may
have changed in between; anything else is refused, with the differences.

Secrets are read from Vault once, when needed, and go only into the request
that sets them. On a failure, apply finishes the operations in flight, starts
nothing new, says what was done and what was not, and exits 1; running apply
again completes the rest. The first Ctrl-C stops starting new operations; the
second aborts those in flight.

Output: the plan, the progress of each operation ("(N of total)" as each
ends, "Still creating... [10s elapsed]" every 10 s for one in flight) and a
summary on standard output; diagnostics and errors on standard error. With
--json, standard output is one JSON object per line and event, as
'terraform apply -json' writes them (planned_change, apply_start,
apply_progress, apply_complete, apply_errored, change_summary, diagnostic;
see docs/apply-json.md), errors included; --json with a directory needs
--auto-approve, since nobody can answer the question. Exit status: 0 when
everything was applied (or there was nothing to do), 1 on any error or
refusal.`,
		Example: `  switchboard apply providers/
  switchboard apply --auto-approve --var-file envs/prod.sbvars providers/
  switchboard plan --out plan.sbplan providers/ && switchboard apply plan.sbplan
  switchboard apply --reviewed pr-plan.sbplan providers/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			view := views.NewApply(stream(cmd), jsonOut, flags.noColor, views.SystemClock())
			defer view.Close()
			flags.diagnostics = view.Diagnostics
			err := runApplyCommand(cmd, args, &flags, view, jsonOut, autoApprove, verify, reviewed)
			var ec exitCode
			if err != nil && jsonOut && !errors.As(err, &ec) {
				// A program reading the stream learns why it ended there,
				// not from a line of text on stderr.
				view.Error(err)
				return exitCode(1)
			}
			return err
		},
	}
	flags.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&autoApprove, "auto-approve", false, "apply without asking for confirmation")
	f.BoolVar(&verify, "verify", false, "test the connection of every configured Gateflow provider after applying")
	f.StringVar(&reviewed, "reviewed", "", "plan DIR afresh and apply it only if it equals this reviewed plan file")
	f.BoolVar(&jsonOut, "json", false, "write one JSON object per line and event, as terraform apply -json does")
	f.String("dir", "", "no longer needed: a plan file embeds its configuration")
	_ = f.MarkHidden("dir")
	return cmd
}

func runApplyCommand(cmd *cobra.Command, args []string, flags *planFlags, view views.Apply, jsonOut, autoApprove, verify bool, reviewed string) error {
	ctx := cmd.Context()
	if cmd.Flags().Changed("dir") {
		return fmt.Errorf("--dir is no longer needed: a plan file embeds the configuration it was made from; run switchboard apply %s", views.ShellQuote(argDir(args)))
	}
	target := argDir(args)
	if reviewed != "" {
		return applyReviewed(ctx, cmd, flags, view, jsonOut, reviewed, target, verify)
	}
	if info, err := os.Stat(target); err == nil && info.Mode().IsRegular() {
		if err := refuseReplanFlags(cmd); err != nil {
			return err
		}
		return applySaved(ctx, cmd, flags, view, target, verify)
	}
	pre := newVaultPrefetch(ctx, &flags.loadFlags)
	defer pre.stop()
	cfg, err := flags.load(stream(cmd), target, pre.option)
	if err != nil {
		return err
	}
	sess, err := connectPrefetched(ctx, cfg, pre, api.WithParallelism(flags.parallelism))
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
	if jsonOut && !autoApprove && res.Plan.HasChanges() {
		return errors.New("apply --json needs --auto-approve (or a saved plan file): nobody can answer the question in a JSON stream; nothing was changed")
	}
	if err := view.Plan(res.Plan); err != nil {
		return err
	}
	if !res.Plan.HasChanges() {
		if jsonOut {
			view.Summary(&applier.Result{})
		}
		return nil
	}
	if !autoApprove {
		ok, err := stream(cmd).Confirm("Do you want to perform these actions?",
			"review the plan and run apply with --auto-approve, or apply a saved plan file")
		if err != nil {
			return err
		}
		if !ok {
			view.Cancelled()
			return exitCode(1)
		}
	}
	// Without a prompt, plan and apply are one instant: the stale check
	// would read again what the plan just read. After a prompt it reads,
	// so that a change made while the person read the plan is caught.
	return runApply(ctx, cmd, sess, res, view, flags.parallelism, verify, autoApprove)
}

// refuseReplanFlags refuses the flags that shape a new plan: a saved plan
// is applied as it was made, and silently ignoring them would apply
// something else than the user asked for.
func refuseReplanFlags(cmd *cobra.Command) error {
	var set []string
	for _, name := range []string{"target", "rotate", "destroy", "baseline"} {
		if cmd.Flags().Changed(name) {
			set = append(set, "--"+name)
		}
	}
	if len(set) > 0 {
		return fmt.Errorf("%s cannot be used when applying a plan file: the plan was made with its own options; make a new plan with them instead", strings.Join(set, ", "))
	}
	return nil
}

func readPlanFile(file string) (*planfile.Payload, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	// Read only: once planfile.Read has its bytes, closing loses nothing.
	defer func() { _ = f.Close() }()
	pl, err := planfile.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pl, nil
}

// applySaved applies a plan file: its embedded configuration is loaded
// again, the binding checked (the parts that need no call first), the plan
// re-derived and compared, and only then is anything changed.
func applySaved(ctx context.Context, cmd *cobra.Command, flags *planFlags, view views.Apply, file string, verify bool) error {
	pl, err := readPlanFile(file)
	if err != nil {
		return err
	}
	cfg, err := flags.load(stream(cmd), pl.Configuration.Dir, func(o *config.LoadOptions) {
		o.FS = config.MemFS(planner.EmbeddedFiles(pl))
		o.Prefix = pl.Configuration.Prefix
		o.PlannedVars = planner.PlannedVars(pl)
	})
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg, api.WithParallelism(flags.parallelism))
	if err != nil {
		return err
	}
	vault := sess.vaultBinding(ctx, false)
	// Everything but the token's scope is known without a call.
	if diffs := planner.BindingDifferences(pl.Binding, cfg, nil, vault); len(diffs) > 0 {
		return &bindingError{file: file, differences: diffs}
	}
	scope, err := sess.glowScope(ctx)
	if err != nil {
		return err
	}
	if diffs := planner.BindingDifferences(pl.Binding, cfg, scope, vault); len(diffs) > 0 {
		return &bindingError{file: file, differences: diffs}
	}
	res, err := planner.Replay(ctx, cfg, pl)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return runApply(ctx, cmd, sess, res, view, flags.parallelism, verify, false)
}

// applyReviewed plans dir afresh, with the reviewed plan's options, and
// applies that plan only if it makes exactly the reviewed changes.
func applyReviewed(ctx context.Context, cmd *cobra.Command, flags *planFlags, view views.Apply, jsonOut bool, file, dir string, verify bool) error {
	if err := refuseReplanFlags(cmd); err != nil {
		return err
	}
	pl, err := readPlanFile(file)
	if err != nil {
		return err
	}
	cfg, err := flags.load(stream(cmd), dir)
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg, api.WithParallelism(flags.parallelism))
	if err != nil {
		return err
	}
	vault := sess.vaultBinding(ctx, false)
	if diffs := planner.ReviewedBindingDifferences(pl.Binding, cfg, nil, vault); len(diffs) > 0 {
		return &bindingError{file: file, differences: diffs, reviewed: true}
	}
	res, err := planner.Make(ctx, cfg, planner.Deps{Clients: sess.clients, Secrets: sess.metadata(), Vault: vault}, planner.Options{
		Targets: pl.Options.Targets, Destroy: pl.Options.Destroy, Rotate: pl.Options.Rotate, Baseline: pl.Options.Baseline,
		Parallelism: flags.parallelism,
	})
	if err != nil {
		return err
	}
	if diffs := planner.ReviewedBindingDifferences(pl.Binding, cfg, res.Live.GlowScope, vault); len(diffs) > 0 {
		return &bindingError{file: file, differences: diffs, reviewed: true}
	}
	if diffs := planner.ReviewedDifferences(pl.Plan, res.Plan); len(diffs) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the plan of %s differs from the reviewed plan %s, so it is not applied:", dir, file)
		for _, d := range diffs {
			b.WriteString("\n  - " + d)
		}
		b.WriteString("\nNothing was changed. Review a new plan of this configuration (plan it again in the pull request, or run the workflow's plan-and-apply job).")
		return fmt.Errorf("%s", b.String())
	}
	view.Reviewed(dir, file)
	if err := view.Plan(res.Plan); err != nil {
		return err
	}
	if !res.Plan.HasChanges() {
		if jsonOut {
			view.Summary(&applier.Result{})
		}
		return nil
	}
	// The plan was made just now, and found to be the reviewed one.
	return runApply(ctx, cmd, sess, res, view, flags.parallelism, verify, true)
}

func runApply(ctx context.Context, cmd *cobra.Command, sess *session, res *planner.Result, view views.Apply, parallelism int, verify, justPlanned bool) error {
	// What the redaction cut from the plan's output would otherwise be
	// written into Glow or Gateflow, where anyone who reads the provider
	// sees it.
	if b, err := json.Marshal(res.Plan); err == nil {
		if _, n := credentials(cmd).RedactCount(b); n > 0 {
			return fmt.Errorf("the plan writes a credential of this run (or 8 bytes or more of one) into Glow or Gateflow, "+
				"%d times; the plan shows each as (redacted: …). Nothing was changed: remove it from the configuration", n)
		}
	}
	stop := interrupts.register(view.Interrupted)
	deps := applier.Deps{Glow: sess.clients.Glow, Gateflow: sess.clients.Gateflow, Credentials: credentials(cmd)}
	if sess.vault != nil {
		deps.Secrets = sess.vault
		// The stale check must see Vault as it is now, not the metadata
		// this run's plan read (and the resolver remembers).
		deps.Metadata = sess.vault.Fresh()
	}
	result, err := applier.Apply(ctx, res.Plan, deps, applier.Options{
		Parallelism: parallelism,
		Verify:      verify,
		Hooks:       view,
		Stop:        stop,
		JustPlanned: justPlanned,
	})
	if result == nil {
		return err
	}
	if result.Err() != nil {
		return exitCode(1)
	}
	return err
}
