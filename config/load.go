package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// LoadOptions are the inputs of Load besides the files.
type LoadOptions struct {
	// FS holds the configuration directory's files, for a configuration
	// loaded from memory (see MemFS). Nil means the directory dir on disk,
	// read through os.Root so that no symbolic link or ".." leads out of
	// it. Either way, dir names the files in Config.Dir, diagnostics and
	// path.module, so that the same files give the same Config wherever
	// they are read from. With FS set, no variable file of the directory
	// (switchboard.sbvars, *.auto.sbvars) is read: FS holds a saved plan's
	// files, and the plan recorded the values (PlannedVars). FS should implement fs.StatFS: a file is
	// examined before it is opened, and without Stat examining it means
	// opening it.
	FS fs.FS
	// Vars are --var values by variable name.
	Vars map[string]string
	// VarFiles are --var-file paths, applied in order (a later file wins).
	VarFiles []string
	// PlannedVars are variable values a saved plan recorded, by name, each
	// in the form of Variable.Value. They take precedence over the
	// defaults only: SWITCHBOARD_VAR_<name>, --var-file and --var still
	// override them (and apply then refuses the plan if they differ).
	PlannedVars map[string]string
	// Credentials are the values this run holds as credentials (tokens,
	// admin keys). nonsensitive() leaves them sensitive, and diagnostics
	// never show them. The values of GLOW_TOKEN, GATEFLOW_ADMIN_KEY and
	// VAULT_TOKEN are credentials too, without being listed here.
	Credentials []sensitive.String
	// Prefix is, with FS, where the configuration directory is inside FS:
	// a saved plan of a configuration whose modules are beside it
	// (Config.Prefix). Empty means FS is the configuration directory.
	Prefix string
	// Env looks up environment variables: env(), SWITCHBOARD_VAR_<name> and
	// the defaults of the glow, gateflow and vault blocks. Nil means the
	// process environment.
	Env func(string) (string, bool)
	// Prefetch learns the vault() references of the provider blocks while
	// Load decodes them, so that a caller can read their metadata during
	// the load rather than after it: a plan of 10,000 secrets 20 ms away
	// is mostly those round trips. At the first reference, Load calls
	// Prefetch once with the Vault settings the configuration gives (what
	// Config.Vault holds if the load succeeds, before a caller's own
	// changes), then the function it returned with that reference and
	// every later one of a key or credential, in the order it decodes
	// them. It is not called when the vault block has an error, and a nil
	// function takes no references. Load waits for nothing they start:
	// it still makes no request itself, and a configuration with errors
	// leaves what they read unused.
	Prefetch func(*secretref.VaultSettings) func(secretref.VaultRef)
}

// Load reads every *.hcl and *.hcl.json file of dir as one configuration
// and evaluates it. It reports every problem it can find in one run; the
// Config is nil when there is an error. Nothing here touches the network:
// vault() only records a reference.
//
// No diagnostic carries a sensitive value: every value env() read, every
// sensitive variable's value and every credential is removed from the
// summaries and details, and a diagnostic whose source line holds one is
// marked so that the printer leaves the line out (see SnippetHidden).
func Load(dir string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	l := &loader{
		dir:        dir,
		opts:       opts,
		fsys:       opts.FS,
		parsed:     parsedFiles{},
		deferredIn: map[string]bool{},
		secrets:    map[string]struct{}{},
		read:       map[string][]byte{},
		uses:       map[string]bool{},
	}
	l.collectCredentials()
	if l.fsys == nil {
		root, err := os.OpenRoot(dir)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read the configuration directory",
				Detail:   fmt.Sprintf("Switchboard reads *.hcl and *.hcl.json files from %s: %s.", dir, describeFileError(err)),
			})
			return nil, l.finish()
		}
		// file() reads through the root while the configuration is
		// evaluated, so it stays open until Load returns.
		defer root.Close()
		l.fsys = root.FS()
	}
	defer l.openRoot()()
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
	fsys   fs.FS
	parsed parsedFiles
	// providerRuns are the root module's runs of provider blocks, in file
	// order, that decode parses (see providerRun); deferredIn are the
	// files that have one.
	providerRuns []providerRun
	deferredIn   map[string]bool
	// ownFiles are the paths of the module's own files that load parsed
	// (see releaseSyntax).
	ownFiles []string
	// exprVars, while the instances of one for_each block are decoded,
	// are the variables of its expressions, which are the same for every
	// instance: a walk per instance and argument was 5% of validating a
	// for_each of 100,000.
	exprVars map[hclsyntax.Expression][]hcl.Traversal
	// parseDiags is how many diagnostics the parse of the root module's
	// files gave: a syntax error in a provider run takes back what
	// evaluation said after them (see runSyntaxErrors).
	parseDiags int
	diags      hcl.Diagnostics

	// secrets are the values that must not appear in any output.
	secrets map[string]struct{}
	// creds are the credentials of the run (LoadOptions.Credentials),
	// which nonsensitive() leaves sensitive.
	creds []string
	// usedVault is set when vault() was called, so that the Vault
	// settings are filled in.
	usedVault bool
	// vaultCalls are the vault() call sites with literal arguments, to give
	// each reference the range where it is written even when it reaches a
	// key through a local.
	vaultCalls map[secretref.VaultRef][]hcl.Range

	// read holds every file read, by slash path relative to dir: the
	// configuration files and what file() read. A file is read once, so
	// that Config.Files holds exactly what the evaluation saw.
	read map[string][]byte
	// total is the size of everything in read, bounded by
	// MaxConfigTotalSize.
	total int64

	vars      map[string]*variable
	varOrder  []string
	varValues map[string]cty.Value
	// uses are the variables that something other than the glow token
	// and the gateflow admin_key depends on (see Variable.CredentialOnly).
	uses      map[string]bool
	locals    map[string]*hcl.Attribute
	localVals map[string]cty.Value
	ctx       *hcl.EvalContext

	moduleScope
}

// configFiles lists the configuration files of fsys's top directory,
// sorted by name. A directory is skipped whatever its name; anything else
// named like a configuration file must be a regular file, which the
// caller checks.
func configFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
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

// readSource reads name from the configuration's file system: a regular
// file of at most limit bytes, within what MaxConfigTotalSize leaves.
func (l *loader) readSource(name string, limit int64) ([]byte, error) {
	if b, ok := l.read[name]; ok {
		if int64(len(b)) > limit {
			return nil, sizeError{limit: limit}
		}
		return b, nil
	}
	b, err := l.readCounted(l.fsys, name, limit)
	if err != nil {
		return nil, err
	}
	l.read[name] = b
	return b, nil
}

// readCounted reads a regular file of at most limit bytes from fsys and
// counts it against MaxConfigTotalSize, checking both before the read (by
// its size) and after it (a file may grow in between).
func (l *loader) readCounted(fsys fs.FS, name string, limit int64) ([]byte, error) {
	info, err := statRegular(fsys, name)
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, sizeError{limit: limit}
	}
	if l.total+info.Size() > MaxConfigTotalSize {
		return nil, sizeError{limit: MaxConfigTotalSize, total: true}
	}
	b, err := readLimited(fsys, name, limit)
	if err != nil {
		return nil, err
	}
	if l.total+int64(len(b)) > MaxConfigTotalSize {
		return nil, sizeError{limit: MaxConfigTotalSize, total: true}
	}
	l.total += int64(len(b))
	return b, nil
}

// sourceFiles is what Config.Files holds: every file read, by name.
func (l *loader) sourceFiles() []SourceFile {
	out := make([]SourceFile, 0, len(l.read))
	for _, name := range slices.Sorted(maps.Keys(l.read)) {
		out = append(out, SourceFile{Name: name, Content: l.read[name]})
	}
	return out
}

func (l *loader) load() *Config {
	names, err := configFiles(l.fsys)
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
	// Every file is examined before any is read, so that a configuration
	// too large as a whole is refused without reading it.
	var total int64
	readable := names[:0:0]
	for _, name := range names {
		path := filepath.Join(l.dir, name)
		info, err := statRegular(l.fsys, name)
		switch {
		case err != nil:
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read a configuration file",
				Detail:   fmt.Sprintf("%s %s. Configuration files must be regular files inside the configuration directory.", path, err),
			})
		case info.Size() > MaxConfigFileSize:
			l.diags = append(l.diags, fileTooLarge(path, sizeError{limit: MaxConfigFileSize}))
		default:
			total += info.Size()
			readable = append(readable, name)
		}
	}
	if total > MaxConfigTotalSize {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Configuration too large",
			Detail:   fmt.Sprintf("The configuration files in %s are larger than %s together, the most a configuration may read.", l.dir, sizeString(MaxConfigTotalSize)),
		})
		return nil
	}
	sum := sha256.New()
	var files []*hcl.File
	for _, name := range readable {
		path := filepath.Join(l.dir, name)
		src, err := l.readSource(name, MaxConfigFileSize)
		if err != nil {
			// The file changed since it was examined.
			var size sizeError
			if errors.As(err, &size) {
				l.diags = append(l.diags, fileTooLarge(path, size))
			} else {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cannot read a configuration file",
					Detail:   fmt.Sprintf("%s %s.", path, err),
				})
			}
			continue
		}
		// Name and length frame each file, so that moving text from one
		// file to the next changes the sum.
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(src))
		sum.Write(src)
		f, runs, diags := l.parsed.parseDeferring(src, path, strings.HasSuffix(name, ".json"), true)
		l.diags = append(l.diags, diags...)
		if len(runs) > 0 {
			l.providerRuns = append(l.providerRuns, runs...)
			l.deferredIn[path] = true
		}
		if f != nil {
			files = append(files, f)
			l.ownFiles = append(l.ownFiles, path)
		}
	}
	// A body with syntax errors is partial: evaluating it would bury the
	// real error under follow-on ones.
	if l.diags.HasErrors() {
		l.runSyntaxErrors(l.providerRuns)
		return nil
	}
	l.parseDiags = len(l.diags)
	cfg := &Config{Dir: l.dir, Prefix: l.prefix(), Checksum: hex.EncodeToString(sum.Sum(nil))}
	l.indexVaultCalls(files)
	l.decode(cfg, hcl.MergeFiles(files))
	cfg.Checksum = l.moduleChecksum(sum)
	cfg.Files = l.allSourceFiles()
	return cfg
}

func fileTooLarge(path string, err sizeError) *hcl.Diagnostic {
	if err.total {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Configuration too large",
			Detail:   fmt.Sprintf("%s %s, the most a configuration may read.", path, err),
		}
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Configuration file too large",
		Detail:   fmt.Sprintf("%s %s, the most a configuration file may hold.", path, err),
	}
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

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "glow"},
		{Type: "gateflow"},
		{Type: "vault"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: GlowProviderType, LabelNames: []string{"name"}},
		{Type: GateflowProviderType, LabelNames: []string{"name"}},
		{Type: "module", LabelNames: []string{"name"}},
		{Type: "output", LabelNames: []string{"name"}},
	},
}

// releaseSyntax lets go of the syntax trees of the module's own files
// once its locals are evaluated, before its providers are decoded: from
// then on a local needs only to be known to exist, and diagnostics read
// only a file's bytes. A for_each of 100,000 items is one local whose tree
// was 235 MB of the heap while the providers it expands were decoded. A
// module called twice still finds its files whole in sharedLoad.parsed.
func (l *loader) releaseSyntax() {
	for name, a := range l.locals {
		l.locals[name] = &hcl.Attribute{Name: a.Name, NameRange: a.NameRange, Range: a.Range}
	}
	for _, path := range l.ownFiles {
		if f := l.parsed[path]; f != nil {
			l.parsed[path] = &hcl.File{Bytes: f.Bytes}
		}
	}
}

// decode reads the blocks of the merged body in file order and fills cfg.
func (l *loader) decode(cfg *Config, body hcl.Body) {
	content, diags := body.Content(rootSchema)
	l.hintVarFiles(diags)
	l.diags = append(l.diags, diags...)

	l.vars = map[string]*variable{}
	l.locals = map[string]*hcl.Attribute{}
	var localOrder []string
	single := map[string]*hcl.Block{}
	var providers []providerItem
	for _, b := range content.Blocks {
		switch b.Type {
		case "glow", "gateflow", "vault":
			if l.refuseSettingsInModule(b) {
				continue
			}
			if prev := single[b.Type]; prev != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
					Detail:   fmt.Sprintf("A %s block was already declared at %s. The configuration takes one.", b.Type, rangeString(prev.DefRange)),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			single[b.Type] = b
		case "variable":
			l.declareVariable(b)
		case "module":
			l.moduleBlocks = append(l.moduleBlocks, b)
		case "output":
			l.declareOutput(b)
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			l.diags = append(l.diags, diags...)
			for _, a := range sortedAttrs(attrs) {
				if prev := l.locals[a.Name]; prev != nil {
					l.diags = append(l.diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Duplicate local value definition",
						Detail:   fmt.Sprintf("A local value named %q was already defined at %s. Local value names must be unique.", a.Name, rangeString(prev.NameRange)),
						Subject:  a.NameRange.Ptr(),
					})
					continue
				}
				l.locals[a.Name] = a
				localOrder = append(localOrder, a.Name)
			}
		case GlowProviderType, GateflowProviderType:
			providers = append(providers, providerItem{block: b})
		}
	}

	l.evalVariables()
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":  objectOf(l.varValues),
			"path": l.pathObject(),
		},
		Functions: l.functions(),
	}
	l.evalVariableValidations()
	l.evalLocals(localOrder)
	if l.modulePath == "" && l.opts.Prefetch != nil {
		vault := single["vault"]
		l.sharedState().prefetch = &vaultPrefetch{
			start:    l.opts.Prefetch,
			settings: func() (*secretref.VaultSettings, bool) { return l.earlyVaultSettings(vault) },
		}
	}
	l.evalModules(cfg)
	l.releaseSyntax()

	glows, gateflows, ok := l.decodeProviders(cfg, l.withProviderRuns(providers))
	if !ok {
		return
	}
	if l.modulePath != "" {
		l.evalOutputs()
		return
	}
	l.decodeSettings(cfg, single, glows > 0 || len(cfg.GlowProviders) > 0, gateflows > 0 || len(cfg.GateflowProviders) > 0)
	cfg.Variables = l.variables()
}
