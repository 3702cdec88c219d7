package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/planner/render"
	"github.com/switchboard-hq/switchboard/policy"
)

func init() { subcommands = append(subcommands, newPlanCommand) }

// planFlags are plan's own flags; apply shares them when it plans itself.
type planFlags struct {
	loadFlags
	targets, rotate []string
	destroy         bool
	baseline        string
}

func (p *planFlags) register(cmd *cobra.Command) {
	p.loadFlags.register(cmd.Flags())
	f := cmd.Flags()
	f.StringArrayVar(&p.targets, "target", nil, "limit the plan to an address and what it contains (repeatable)")
	f.StringArrayVar(&p.rotate, "rotate", nil, "rotate the secrets of an address even if Vault shows no new version (repeatable)")
	f.BoolVar(&p.destroy, "destroy", false, "plan the destruction of every object this configuration owns")
	f.StringVar(&p.baseline, "baseline", "", "the plan file last applied: updates of objects whose configuration has not changed since are labelled drift")
}

func (p *planFlags) options() (planner.Options, error) {
	opts := planner.Options{Targets: p.targets, Rotate: p.rotate, Destroy: p.destroy, Parallelism: p.parallelism}
	if p.baseline != "" {
		f, err := os.Open(p.baseline)
		if err != nil {
			return opts, fmt.Errorf("--baseline: %w", err)
		}
		// Read only: once planfile.Read has its bytes, closing loses nothing.
		defer func() { _ = f.Close() }()
		applied, err := planfile.Read(f)
		if err != nil {
			return opts, fmt.Errorf("--baseline %s: %w", p.baseline, err)
		}
		opts.Baseline = applied.Plan.Digests()
	}
	return opts, nil
}

// planCommandFlags are the plan command's flags: planFlags, which apply
// shares, and those of plan's output.
type planCommandFlags struct {
	planFlags
	out, format  string
	detailedExit bool
	comment      commentFlags
	checkSecrets bool
	policyDir    string
}

func newPlanCommand() *cobra.Command {
	var flags planCommandFlags
	cmd := &cobra.Command{
		Use:   "plan [DIR]",
		Short: "Show what apply would change in Glow and Gateflow",
		Long: `Plan reads the configuration in DIR (default: the current directory), the
live state of Glow and Gateflow, and the metadata of the Vault secrets the
configuration references, and prints the changes that apply would make.

It changes nothing, decrypts nothing, and reads no secret value: a Vault token
allowed to read metadata only is enough. Secrets appear as references.

What a configuration owns (docs/ownership.md): every Glow provider it creates
carries an ownership marker naming its owner (glow { owner = "..." }, default
"default") and block address. A block binds to the provider with its marker,
then to the id it pins, then by name; renaming a provider or its block is an
update in place. A provider made by hand with the block's name is an error
unless the block sets adopt = true or pins its id, and the plan then shows an
adoption. A removed block's provider is destroyed when this configuration owns
it; providers it does not own are listed as unmanaged and never touched, except
with glow { prune_departments = [...] } (undeclared providers whose departments
are all listed are destroyed) and gateflow { prune = true }. Keys, endpoints and
drafts this owner left attached to nothing are listed and cleaned up.

Variables, later sources winning: SWITCHBOARD_VAR_<name> in the environment,
switchboard.sbvars and then every *.auto.sbvars file of DIR, each --var-file
in order, each --var NAME=VALUE. A variable set in more than one place gets a
warning that names the value used.

With --out FILE the plan is also written to FILE, for 'switchboard apply
FILE': bound to the services, Vault and variables it was made with, with the
configuration embedded (variable files are not: the plan records the values,
sensitive ones as digests).

--format markdown writes a pull-request comment (docs/plan-format.md): its
first line is the hidden marker <!-- switchboard:plan DIR --> by which a
workflow finds and updates its own comment, and it stays within
--max-comment-chars (60,000 by default, under GitHub's 65,536): every
deletion, warning and the summary always fit, and the detailed plan is
shortened with a note of what was left out and a link to --full-plan-url.

Output: the plan on standard output (--format text, json or markdown;
--json is --format json), diagnostics on standard error. Exit status: 0 on success, 1 on error; with
--detailed-exitcode, 0 when there are no changes, 1 on error and 2 when there
are changes.

With --policy DIR the plan is checked against the Rego policies in DIR
(docs/policy.md), with the JSON plan as input: each deny or violation
message is printed with the file:line of the block it is about and fails the
plan (exit 1, nothing saved); warnings are printed.`,
		Example: `  switchboard plan providers/
  switchboard plan --out plan.sbplan --var-file envs/staging.sbvars providers/
  switchboard plan -out=plan.sbplan -var region=eu providers/   # Terraform's spellings work too
  switchboard plan --format markdown --title "Plan for $SHA" --full-plan-url "$ARTIFACT_URL" providers/ > comment.md
  switchboard plan --target 'glow_provider.openai["prod"]' providers/
  switchboard plan --target 'module.team["cs"]' environments/staging/   # everything in one module instance
  switchboard plan --policy policies/ providers/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd, argDir(args), &flags)
		},
	}
	flags.register(cmd)
	return cmd
}

func (p *planCommandFlags) register(cmd *cobra.Command) {
	p.planFlags.register(cmd)
	f := cmd.Flags()
	f.StringVarP(&p.out, "out", "o", "", "also write the plan to `FILE` (then: switchboard apply FILE)")
	f.StringVar(&p.format, "format", "text", "output format: text, json or markdown")
	f.Bool("json", false, "print the plan as JSON: the same as --format json")
	p.comment.register(f)
	f.BoolVar(&p.detailedExit, "detailed-exitcode", false, "exit 0 for no changes, 1 for errors, 2 for changes")
	f.BoolVar(&p.checkSecrets, "check-secrets", false, "also read every vault() secret and check that its field exists (needs a token that may read values; never prints them)")
	f.StringVar(&p.policyDir, "policy", "", "evaluate the Rego policies in `DIR` against the plan (docs/policy.md): a deny fails the plan")
}

// runPlan plans the configuration in dir and shows the plan, checked
// against the policies and saved when the flags ask for it.
func runPlan(cmd *cobra.Command, dir string, flags *planCommandFlags) error {
	if err := jsonFormat(cmd, &flags.format); err != nil {
		return err
	}
	md, err := flags.comment.options(dir)
	if err != nil {
		return err
	}
	view, err := views.NewPlan(stream(cmd), flags.format, flags.noColor, md)
	if err != nil {
		return err
	}
	flags.diagnostics = view.Diagnostics
	// Policies are read before the configuration, so that one that does
	// not parse fails the plan before any service is called (the load
	// starts reading Vault); the configuration's diagnostics still come
	// first.
	var policies *policy.Set
	var policyErr error
	if flags.policyDir != "" {
		policies, policyErr = policy.Load(flags.policyDir)
	}
	pre := newVaultPrefetch(cmd.Context(), &flags.loadFlags)
	defer pre.stop()
	var with []func(*config.LoadOptions)
	if policyErr == nil {
		with = append(with, pre.option)
	}
	cfg, err := flags.load(stream(cmd), dir, with...)
	if err != nil {
		return err
	}
	if policyErr != nil {
		return policyErr
	}
	res, err := makePlan(cmd, cfg, flags, view, pre)
	if err != nil {
		return err
	}
	doc, report, err := checkPolicies(cmd.Context(), policies, res, dir, flags.format)
	if err != nil {
		return err
	}
	if err := view.Plan(res.Plan, doc, report); err != nil {
		return err
	}
	if report.Denied() {
		// A denied plan is not saved: there is nothing to apply.
		return policyDenied(report, flags.out != "")
	}
	if flags.out != "" {
		if err := writePlanFile(cmd, flags.out, res); err != nil {
			return err
		}
		view.Saved(flags.out, sensitiveInputs(res))
	}
	if flags.detailedExit && res.Plan.HasChanges() {
		return exitCode(2)
	}
	return nil
}

// makePlan connects to the services and Vault and makes the plan, having
// first read every secret when --check-secrets asks for it.
func makePlan(cmd *cobra.Command, cfg *config.Config, flags *planCommandFlags, view views.Plan, pre *vaultPrefetch) (*planner.Result, error) {
	sess, err := connectPrefetched(cmd.Context(), cfg, pre, api.WithParallelism(flags.parallelism))
	if err != nil {
		return nil, err
	}
	if flags.checkSecrets {
		n, err := sess.checkSecrets(cmd.Context(), cfg)
		if err != nil {
			return nil, err
		}
		view.SecretsChecked(n)
	}
	opts, err := flags.options()
	if err != nil {
		return nil, err
	}
	deps := planner.Deps{Clients: sess.clients, Secrets: sess.metadata(), Vault: sess.vaultBinding(cmd.Context(), flags.out != "")}
	return planner.Make(cmd.Context(), cfg, deps, opts)
}

func argDir(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "."
}

// commentFlags are the flags of the Markdown comment, shared by plan and
// show.
type commentFlags struct {
	title, fullPlanURL string
	maxChars           int
}

func (c *commentFlags) register(f *pflag.FlagSet) {
	f.StringVar(&c.title, "title", "", "title of the markdown comment")
	f.IntVar(&c.maxChars, "max-comment-chars", render.DefaultMaxCommentChars,
		"bound the markdown comment to `N` characters (counted as UTF-8 bytes), shortening the detailed plan; 0 for no bound (GitHub refuses comments over 65,536)")
	f.StringVar(&c.fullPlanURL, "full-plan-url", "", "where the full plan is (e.g. the workflow's artifact `URL`), linked when the markdown comment is shortened")
}

// options are the Markdown options for the configuration in dir, whose
// name the comment's hidden marker carries.
func (c *commentFlags) options(dir string) (render.MarkdownOptions, error) {
	o := render.MarkdownOptions{Title: c.title, Dir: filepath.ToSlash(filepath.Clean(dir)), MaxChars: c.maxChars, FullPlanURL: c.fullPlanURL}
	switch {
	case c.maxChars == 0:
		o.MaxChars = -1
	case c.maxChars < render.MinCommentChars:
		return o, fmt.Errorf("--max-comment-chars %d: the title, the alerts and the summary need at least %d; use 0 for no bound", c.maxChars, render.MinCommentChars)
	}
	if c.fullPlanURL != "" {
		u, err := url.Parse(c.fullPlanURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return o, fmt.Errorf("--full-plan-url %q: want an http or https URL", c.fullPlanURL)
		}
	}
	return o, nil
}

// writePlanFile writes through a temporary file and a rename, so that an
// interrupted plan never leaves a truncated file that looks like a plan.
// The run's credentials are cut out of the file like out of every output.
// The file stays readable by its owner only, as os.CreateTemp made it.
func writePlanFile(cmd *cobra.Command, path string, res *planner.Result) error {
	pl := planner.NewPayload(res)
	return replaceFile(path, ".switchboard-plan-*", 0o600, func(w *os.File) error {
		if err := planfile.Write(w, pl, planfile.WriteOptions{Redact: credentials(cmd).RedactCount}); err != nil {
			return fmt.Errorf("writing the plan file: %w", err)
		}
		return nil
	})
}

// sensitiveInputs are the sensitive variables apply must be given again:
// the plan file records only their digests.
func sensitiveInputs(res *planner.Result) []string {
	var out []string
	for _, v := range res.Binding.Variables {
		if v.Sensitive && !v.CredentialOnly {
			out = append(out, "var."+v.Name)
		}
	}
	return out
}
