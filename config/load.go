package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// LoadOptions are the inputs of Load besides the files.
type LoadOptions struct {
	// Vars are --var values by variable name.
	Vars map[string]string
	// VarFiles are --var-file paths, applied in order (a later file wins).
	VarFiles []string
	// Env looks up environment variables: env(), SWITCHBOARD_VAR_<name> and
	// the defaults of the glow, gateflow and vault blocks. Nil means the
	// process environment.
	Env func(string) (string, bool)
}

// Load reads every *.hcl and *.hcl.json file of dir as one configuration
// and evaluates it. It reports every problem it can find in one run; the
// Config is nil when there is an error. Nothing here touches the network:
// vault() only records a reference.
//
// No diagnostic carries a sensitive value: every value env() read and
// every sensitive variable's value is removed from the summaries and
// details, and a diagnostic whose source line holds one is marked so that
// the printer leaves the line out (see SnippetHidden).
func Load(dir string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	l := &loader{
		dir:     dir,
		opts:    opts,
		parser:  hclparse.NewParser(),
		secrets: map[string]struct{}{},
	}
	cfg := l.load()
	diags := l.finish()
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// loader holds one Load's state.
type loader struct {
	dir    string
	opts   LoadOptions
	parser *hclparse.Parser
	diags  hcl.Diagnostics

	// secrets are the values that must not appear in any output.
	secrets map[string]struct{}
	// usedVault is set when vault() was called, so that the Vault
	// settings are filled in.
	usedVault bool
	// vaultCalls are the vault() call sites with literal arguments, to give
	// each reference the range where it is written even when it reaches a
	// key through a local.
	vaultCalls map[VaultRef][]hcl.Range

	vars      map[string]*variable
	varOrder  []string
	varValues map[string]cty.Value
	locals    map[string]*hcl.Attribute
	localVals map[string]cty.Value
	ctx       *hcl.EvalContext
}

func (l *loader) rememberSecret(s string) {
	if s != "" {
		l.secrets[s] = struct{}{}
	}
}

// configFiles lists the configuration files of dir, sorted by name.
func configFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !isConfigFile(n) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func isConfigFile(name string) bool {
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".hcl.json")
}

func (l *loader) load() *Config {
	names, err := configFiles(l.dir)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the configuration directory",
			Detail:   fmt.Sprintf("Switchboard reads *.hcl and *.hcl.json files from %s: %s.", l.dir, describeFileError(err)),
		})
		return nil
	}
	if len(names) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s has no *.hcl or *.hcl.json files.", l.dir),
		})
		return nil
	}
	sum := sha256.New()
	var files []*hcl.File
	for _, name := range names {
		path := filepath.Join(l.dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read a configuration file",
				Detail:   fmt.Sprintf("%s: %s.", path, describeFileError(err)),
			})
			continue
		}
		// Name and length frame each file, so that moving text from one
		// file to the next changes the sum.
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(src))
		sum.Write(src)
		var f *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(name, ".json") {
			f, diags = l.parser.ParseJSON(src, path)
		} else {
			f, diags = l.parser.ParseHCL(src, path)
		}
		l.diags = append(l.diags, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	// A body with syntax errors is partial: evaluating it would bury the
	// real error under follow-on ones.
	if l.diags.HasErrors() {
		return nil
	}
	cfg := &Config{Dir: l.dir, Checksum: hex.EncodeToString(sum.Sum(nil))}
	l.indexVaultCalls(files)
	l.decode(cfg, hcl.MergeFiles(files))
	return cfg
}

// finish makes the diagnostics safe and tidy: identical ones (an error in a
// for_each block repeats for every instance) are reported once, secrets
// are cut out, and the expression and evaluation context that HCL attaches
// (which a generic HCL printer would use to print variable values) are
// dropped.
func (l *loader) finish() hcl.Diagnostics {
	secrets := make([]string, 0, len(l.secrets))
	for s := range l.secrets {
		if len(s) >= minRedactLen {
			secrets = append(secrets, s)
		}
	}
	// Longest first, so that a secret containing another is cut whole.
	sort.Slice(secrets, func(i, j int) bool {
		if len(secrets[i]) != len(secrets[j]) {
			return len(secrets[i]) > len(secrets[j])
		}
		return secrets[i] < secrets[j]
	})
	redact := func(s string) (string, bool) {
		found := false
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, redactedInMessage)
				found = true
			}
		}
		return s, found
	}
	// Source order reads best and is the same every run; diagnostics about
	// no place (the directory, the environment) come first.
	sort.SliceStable(l.diags, func(i, j int) bool {
		a, b := l.diags[i].Subject, l.diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	seen := map[string]bool{}
	var out hcl.Diagnostics
	for _, d := range l.diags {
		d.Expression, d.EvalContext = nil, nil
		d.Summary, _ = redact(d.Summary)
		d.Detail, _ = redact(d.Detail)
		if d.Subject != nil && !SnippetHidden(d) {
			if _, found := redact(l.sourceLine(*d.Subject)); found {
				hideSnippet(d)
			}
		}
		key := fmt.Sprintf("%d\x00%s\x00%s\x00%v", d.Severity, d.Summary, d.Detail, d.Subject)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}

// minRedactLen is the shortest value cut out of messages: shorter ones are
// not secrets anyone could rely on, and cutting every "1" or "us" from every
// message would make them unreadable.
const minRedactLen = 4

const redactedInMessage = "(sensitive value)"

// sourceLine returns the first line of rng in a file the parser read.
func (l *loader) sourceLine(rng hcl.Range) string {
	f := l.parser.Files()[rng.Filename]
	if f == nil {
		return ""
	}
	lines := strings.Split(string(f.Bytes), "\n")
	end := rng.End.Line
	if end < rng.Start.Line {
		end = rng.Start.Line
	}
	if rng.Start.Line < 1 || end > len(lines) {
		return ""
	}
	return strings.Join(lines[rng.Start.Line-1:end], "\n")
}

// diagExtra is the loader's extra information on a diagnostic. It wraps
// whatever HCL put there, so that hcl.DiagnosticExtra still finds it.
type diagExtra struct {
	hideSnippet bool
	wrapped     any
}

func (e diagExtra) UnwrapDiagnosticExtra() any { return e.wrapped }

func hideSnippet(d *hcl.Diagnostic) {
	if x, ok := d.Extra.(diagExtra); ok {
		x.hideSnippet = true
		d.Extra = x
		return
	}
	d.Extra = diagExtra{hideSnippet: true, wrapped: d.Extra}
}

// SnippetHidden reports whether a diagnostic's source lines must not be
// printed: they hold a secret (a literal key, a sensitive variable's value
// in a var file).
func SnippetHidden(d *hcl.Diagnostic) bool {
	x, ok := hcl.DiagnosticExtra[diagExtra](d)
	return ok && x.hideSnippet
}
