package render

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/switchboard-hq/switchboard/config"
)

// PolicyReport is the outcome of evaluating a directory of policies
// against a plan (plan --policy DIR, docs/policy.md).
type PolicyReport struct {
	// Dir is the policy directory as given.
	Dir string `json:"dir"`
	// Files counts the policy files (*.rego, tests excluded) evaluated.
	Files    int             `json:"files"`
	Denies   []PolicyFinding `json:"denies"`
	Warnings []PolicyFinding `json:"warnings"`
	// ConfigDir is the configuration directory, which DeclaredAt is
	// relative to; locations are printed under it.
	ConfigDir string `json:"-"`
}

// PolicyFinding is one message of a deny, violation or warn rule.
type PolicyFinding struct {
	// Rule is the rule that produced the message: data.PACKAGE.RULE.
	Rule    string `json:"rule"`
	Message string `json:"msg"`
	// Address is the object the message is about: the rule's "address"
	// field, or the address of a planned object the message names.
	Address string `json:"address,omitempty"`
	// DeclaredAt is "FILE:LINE" of the object's block, relative to the
	// configuration directory; absent for removed and undeclared objects.
	DeclaredAt string `json:"declared_at,omitempty"`
}

// Denied reports whether a policy denies the plan.
func (r *PolicyReport) Denied() bool { return r != nil && len(r.Denies) > 0 }

// Location is where a finding's block is, as a path under the
// configuration directory the user gave ("providers/main.hcl:12").
func (r *PolicyReport) Location(f PolicyFinding) string {
	if f.DeclaredAt == "" {
		return ""
	}
	if r.ConfigDir == "" || r.ConfigDir == "." {
		return f.DeclaredAt
	}
	return filepath.Join(r.ConfigDir, f.DeclaredAt)
}

// Headline is the report's one-line outcome.
func (r *PolicyReport) Headline() string {
	outcome := "passed"
	if r.Denied() {
		outcome = "failed"
	}
	return fmt.Sprintf("Policy check %s: %d %s, %d %s (%d %s in %s).", outcome,
		len(r.Denies), plural(len(r.Denies), "deny", "denies"),
		len(r.Warnings), plural(len(r.Warnings), "warning", "warnings"),
		r.Files, plural(r.Files, "policy file", "policy files"), r.Dir)
}

// maxTextMessage bounds one message in the terminal; a policy's message is
// its author's text and may quote live data of any length.
const maxTextMessage = 4096

// PolicyText writes the report for a terminal or a CI log: one line per
// finding, "LEVEL FILE:LINE: message (rule)", which CI problem matchers
// read. Control characters in messages are shown escaped, never sent to
// the terminal.
func PolicyText(w io.Writer, r *PolicyReport) error {
	var b strings.Builder
	b.WriteString("\n" + r.Headline() + "\n")
	for _, g := range []struct {
		level string
		fs    []PolicyFinding
	}{{"DENY", r.Denies}, {"WARN", r.Warnings}} {
		for _, f := range g.fs {
			b.WriteString("  " + g.level + " ")
			if loc := r.Location(f); loc != "" {
				b.WriteString(textLine(loc, maxTextMessage) + ": ")
			}
			b.WriteString(textLine(f.Message, maxTextMessage) + " (" + textLine(f.Rule, maxTextMessage) + ")\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The Markdown section lists this many findings of each level, each message
// cut at maxMarkdownMessage bytes before it is escaped, so that it keeps to
// a few kilobytes of the bounded comment; the job log has all of them.
const (
	maxMarkdownFindings = 20
	maxMarkdownMessage  = 300
)

// PolicyMarkdown writes the report as a section of the pull-request
// comment: a CAUTION with the denies, a WARNING with the warnings, or a
// line saying the policies passed. Every string from a policy is escaped.
func PolicyMarkdown(w io.Writer, r *PolicyReport) error {
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	if len(r.Denies) == 0 && len(r.Warnings) == 0 {
		line(fmt.Sprintf("**Policy check passed** (%d %s in %s).", r.Files, plural(r.Files, "policy file", "policy files"), code(r.Dir)))
		line("")
	}
	for _, g := range []struct {
		alert, what string
		fs          []PolicyFinding
	}{{"CAUTION", "denies", r.Denies}, {"WARNING", "warns about", r.Warnings}} {
		if len(g.fs) == 0 {
			continue
		}
		line("> [!" + g.alert + "]")
		if g.alert == "CAUTION" {
			line(fmt.Sprintf("> **Policy denies this plan** (%d %s from %s). Apply is blocked until the configuration complies.", len(g.fs), plural(len(g.fs), "message", "messages"), code(r.Dir)))
		} else {
			line(fmt.Sprintf("> **Policy warnings** (%d from %s).", len(g.fs), code(r.Dir)))
		}
		line(">")
		for i, f := range g.fs {
			if i == maxMarkdownFindings {
				line(fmt.Sprintf("> - … and %d more in the job log.", len(g.fs)-i))
				break
			}
			s := "> - "
			if loc := r.Location(f); loc != "" {
				s += code(loc) + ": "
			}
			s += mdText(cut(f.Message, maxMarkdownMessage)) + " (" + code(f.Rule) + ")"
			line(s)
		}
		line("")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DeclaredAt maps the address of every object cfg declares to "FILE:LINE"
// of its block, relative to the configuration directory, so that the
// location reads the same wherever the directory is.
func DeclaredAt(cfg *config.Config) map[string]string {
	out := make(map[string]string, len(cfg.GlowProviders)+len(cfg.GateflowProviders))
	at := func(addr config.Address, r hcl.Range) {
		if r.Filename == "" {
			return
		}
		name := r.Filename
		if rel, err := filepath.Rel(cfg.Dir, r.Filename); err == nil && cfg.Dir != "" && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		out[addr.String()] = fmt.Sprintf("%s:%d", filepath.ToSlash(name), r.Start.Line)
	}
	for _, p := range cfg.GlowProviders {
		at(p.Address, p.DeclRange)
	}
	for _, p := range cfg.GateflowProviders {
		at(p.Address, p.DeclRange)
	}
	return out
}

// DeclaredAtInFiles is DeclaredAt for configuration files that are not
// loaded (a plan file's embedded configuration, which may need sensitive
// variables to evaluate): each block's header, by the address of the block.
// NewJSONPlan finds an instance of a for_each block through its block's
// address. Only the directory's own *.hcl files are read.
func DeclaredAtInFiles(files []config.SourceFile) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		if strings.Contains(f.Name, "/") || !strings.HasSuffix(f.Name, ".hcl") {
			continue
		}
		file, diags := hclsyntax.ParseConfig(f.Content, f.Name, hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if (b.Type == config.GlowProviderType || b.Type == config.GateflowProviderType) && len(b.Labels) == 1 {
				out[b.Type+"."+b.Labels[0]] = fmt.Sprintf("%s:%d", f.Name, b.DefRange().Start.Line)
			}
		}
	}
	return out
}

// textLine is a live string for one terminal line: cleaned of what acts on
// a terminal (escape.go) and cut to n bytes.
func textLine(s string, n int) string { return cut(Clean(prefix(s, n+1)), n) }
