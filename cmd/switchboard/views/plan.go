package views

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/planner/render"
)

// Plan is the view of plan. The plan itself is rendered by planner/render
// (text, Markdown, JSON); the view decides where each part goes, so that
// the stdout of a machine format stays one document.
type Plan interface {
	// SecretsChecked reports plan --check-secrets: all n vault()
	// references resolve (n is 0 when the configuration has none).
	SecretsChecked(n int)
	// Plan shows the plan, and the policies' results when report is not
	// nil; doc is the JSON document the policies read (nil: made here).
	Plan(p *plan.Plan, doc *render.JSONPlan, report *render.PolicyReport) error
	// Saved says where --out wrote the plan and how to apply it;
	// sensitive are the variables apply must be given again.
	Saved(path string, sensitive []string)
	// Diagnostics reports the configuration's diagnostics.
	Diagnostics(hcl.Diagnostics)
}

// Formats of plan and show.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

func checkFormat(format string) (string, error) {
	switch format {
	case FormatText, FormatJSON, FormatMarkdown:
		return format, nil
	case "md":
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("unknown --format %q: use text, json or markdown", format)
}

// NewPlan returns plan's view for --format: the human views (text, or the
// Markdown comment) or the JSON view. md are the comment's options.
func NewPlan(s *Stream, format string, noColor bool, md render.MarkdownOptions) (Plan, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	if format == FormatJSON {
		return planJSON{s}, nil
	}
	return planHuman{stream: s, format: format, noColor: noColor, md: md}, nil
}

type planHuman struct {
	stream  *Stream
	format  string
	noColor bool
	md      render.MarkdownOptions
}

func (v planHuman) SecretsChecked(n int) { secretsChecked(v.stream, n) }

// Diagnostics go to stderr, as validate prints them.
func (v planHuman) Diagnostics(diags hcl.Diagnostics) {
	_ = Diagnostics(v.stream, diags, DiagnosticOptions{NoColor: v.noColor})
}

// secretsChecked goes to stderr in every format: stdout is the plan.
func secretsChecked(s *Stream, n int) {
	if n == 0 {
		fmt.Fprintln(s.Err, "--check-secrets: the configuration has no vault() reference.")
		return
	}
	fmt.Fprintf(s.Err, "--check-secrets: all %d vault() references resolve to a string field (values not shown).\n", n)
}

func (v planHuman) Plan(p *plan.Plan, _ *render.JSONPlan, report *render.PolicyReport) error {
	if v.format == FormatMarkdown {
		md := v.md
		md.Policy = report
		return render.Markdown(v.stream.Out, p, md)
	}
	if err := render.Text(v.stream.Out, p, render.TextOptions{Color: v.stream.OutColor(v.noColor)}); err != nil {
		return err
	}
	if report != nil {
		return render.PolicyText(v.stream.Out, report)
	}
	return nil
}

// Saved goes after the text plan; after a comment, on stderr, so that
// the comment can be posted as it is.
func (v planHuman) Saved(path string, sensitive []string) {
	w := v.stream.Out
	if v.format != FormatText {
		w = v.stream.Err
	}
	saved(w, path, sensitive)
}

func saved(w io.Writer, path string, sensitive []string) {
	fmt.Fprintf(w, "\nSaved the plan to: %s\n\nTo perform exactly these actions, run:\n    switchboard apply %s\n", path, ShellQuote(path))
	if len(sensitive) > 0 {
		fmt.Fprintf(w, "with the sensitive variables %s set as they were for this plan (the plan file holds their digests only).\n", strings.Join(sensitive, ", "))
	}
}

// planJSON writes the JSON document on stdout and nothing else there: the
// policies' messages and the saved file's note go to stderr, the job's
// log.
type planJSON struct{ stream *Stream }

func (v planJSON) SecretsChecked(n int) { secretsChecked(v.stream, n) }

// Diagnostics with an error end plan before its document: stdout gets a
// diagnostic event for each, as apply --json writes them. Warnings alone
// go to stderr, as for a person, since the document follows on stdout.
func (v planJSON) Diagnostics(diags hcl.Diagnostics) {
	if !diags.HasErrors() {
		_ = Diagnostics(v.stream, diags, DiagnosticOptions{NoColor: true})
		return
	}
	now := time.Now()
	for _, d := range diags {
		writeEvent(v.stream, now, diagnosticEvent(jsonDiagnostic(d)))
	}
}

func (v planJSON) Plan(p *plan.Plan, doc *render.JSONPlan, report *render.PolicyReport) error {
	if doc == nil {
		doc = render.NewJSONPlan(p, render.JSONOptions{})
	}
	doc.Switchboard.Policy = report
	if err := render.WriteJSON(v.stream.Out, doc); err != nil {
		return err
	}
	if report != nil {
		return render.PolicyText(v.stream.Err, report)
	}
	return nil
}

func (v planJSON) Saved(path string, sensitive []string) { saved(v.stream.Err, path, sensitive) }

// Show is the view of show: a saved plan, in text with a header saying
// what it is bound to.
type Show interface {
	Show(file string, pl *planfile.Payload) error
}

// NewShow returns show's view for --format, as NewPlan.
func NewShow(s *Stream, format string, noColor bool, md render.MarkdownOptions) (Show, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	if format == FormatJSON {
		return showJSON{planJSON{s}}, nil
	}
	return showHuman{planHuman{stream: s, format: format, noColor: noColor, md: md}}, nil
}

type showHuman struct{ planHuman }

func (v showHuman) Show(file string, pl *planfile.Payload) error {
	if v.format == FormatText {
		out := v.stream.Out
		fmt.Fprintf(out, "Plan file %s, written by Switchboard %s at %s, is bound to:\n", render.Clean(file), render.Clean(pl.WrittenBy), pl.Plan.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
		for _, l := range pl.Binding.Lines() {
			// The actor and the URLs come from the file and the
			// services: no control character reaches the terminal.
			fmt.Fprintln(out, "  "+render.Clean(l))
		}
		fmt.Fprintln(out)
	}
	return v.Plan(pl.Plan, nil, nil)
}

type showJSON struct{ planJSON }

// Show writes the document without loading the configuration, which may
// need sensitive variables: the blocks' lines come from the embedded
// files.
func (v showJSON) Show(_ string, pl *planfile.Payload) error {
	doc := render.NewJSONPlan(pl.Plan, render.JSONOptions{DeclaredAt: render.DeclaredAtInFiles(planner.EmbeddedDirFiles(pl))})
	return render.WriteJSON(v.stream.Out, doc)
}

// ShellQuote quotes a path for a command a user copies, when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+=:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
