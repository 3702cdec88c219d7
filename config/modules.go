package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Local modules (docs/modules.md). A module call
//
//	module "team" {
//	  source   = "./modules/team"
//	  for_each = toset(["cs", "math"])
//	  team     = each.key
//	}
//
// evaluates the *.hcl files of the source directory as a configuration of
// its own: its variables take the call's arguments, its locals and
// providers are its own, and its outputs are module.team["cs"].NAME in the
// caller. The providers it declares are the configuration's, with the
// module instance path in front of their addresses, which is what plans,
// --target and the ownership markers use. Settings (glow, gateflow, vault)
// belong to the root module only: a module is reused by environments that
// each point at their own instances.

// RootMarkerFile marks the top directory a configuration's module sources
// may reach with "../": an environment directory below it can call shared
// modules beside it. Without one, module sources stay inside the
// configuration directory.
const RootMarkerFile = "switchboard.root"

// Bounds on modules: how deep calls nest, and how many module instances a
// configuration evaluates in all.
const (
	MaxModuleDepth     = 16
	MaxModuleInstances = 10000
)

// moduleScope is what a loader knows of the module it evaluates; the zero
// value is the root module.
type moduleScope struct {
	// modulePath is the module instance path, "" in the root module.
	modulePath string
	// moduleDir is the module's directory relative to the root file system
	// (slash-separated; the prefix itself for the root module).
	moduleDir string
	// callStack are the directories of the modules calling this one,
	// outermost first, for the cycle check.
	callStack []string
	// moduleArgs are the call's arguments, by variable name.
	moduleArgs map[string]moduleArg
	// callRange is the module call's header, for missing arguments.
	callRange hcl.Range
	// moduleBlocks and outputBlocks are the module's own blocks.
	moduleBlocks []*hcl.Block
	outputBlocks []*hcl.Block
	outputs      map[string]cty.Value
	shared       *sharedLoad
}

type moduleArg struct {
	val cty.Value
	rng hcl.Range
}

// sharedLoad is what every module of one Load shares.
type sharedLoad struct {
	// rootFS holds the directory tree that module sources may reach;
	// prefix is the configuration directory's path inside it ("" when the
	// configuration directory is the root).
	rootFS fs.FS
	prefix string
	// outside are the files read from rootFS outside the configuration
	// directory, by root-relative name.
	outside map[string][]byte
	// parsed are the module directories read so far, by root-relative
	// name, so that every instance of a call parses its files once.
	parsed map[string][]*hcl.File
	// sources are the module files read, by root-relative name, for
	// Config.Checksum.
	sources   map[string][]byte
	instances int
	glows     []glowInstance
	gateflows []gateflowInstance
	// prefetch is LoadOptions.Prefetch, set by the root module once its
	// variables and locals, which the vault block may use, are known.
	prefetch *vaultPrefetch
}

func (l *loader) sharedState() *sharedLoad {
	if l.shared == nil {
		l.shared = &sharedLoad{rootFS: l.fsys, outside: map[string][]byte{}, parsed: map[string][]*hcl.File{}}
	}
	return l.shared
}

// findRoot returns the nearest directory at or above dir that holds
// RootMarkerFile, and dir's path below it; ok is false when there is none.
func findRoot(dir string) (root, prefix string, ok bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", false
	}
	for d := abs; ; {
		if info, err := os.Stat(filepath.Join(d, RootMarkerFile)); err == nil && info.Mode().IsRegular() {
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", "", false
			}
			rel = filepath.ToSlash(rel)
			if rel == "." {
				rel = ""
			}
			return d, rel, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", false
		}
		d = parent
	}
}

// openRoot sets the root file system: the directory with RootMarkerFile
// above dir on disk, or opts.FS with opts.Prefix for a saved plan. It
// returns a function that releases what it opened.
func (l *loader) openRoot() func() {
	sh := l.sharedState()
	if l.opts.FS != nil {
		sh.rootFS, sh.prefix = l.opts.FS, l.opts.Prefix
		if sh.prefix != "" {
			sub, err := fs.Sub(l.opts.FS, sh.prefix)
			if err != nil || sh.prefix == "." {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid configuration prefix",
					Detail:   fmt.Sprintf("The configuration's place among its files, %q, is not a directory path below them.", sh.prefix),
				})
				sh.prefix = ""
				return func() {}
			}
			l.fsys = sub
		}
		l.moduleDir = sh.prefix
		return func() {}
	}
	root, prefix, ok := findRoot(l.dir)
	if !ok || prefix == "" {
		return func() {}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return func() {}
	}
	sh.rootFS, sh.prefix = r.FS(), prefix
	l.moduleDir = prefix
	return func() { r.Close() }
}

// Prefix is where the configuration directory is inside the directory tree
// its files are named in (Config.Files): "" unless RootMarkerFile is above it.
func (l *loader) prefix() string { return l.sharedState().prefix }

// dirRelative is a root-relative name relative to the configuration
// directory, when it is inside it.
func (l *loader) dirRelative(name string) (string, bool) {
	p := l.prefix()
	if p == "" {
		return name, true
	}
	if rest, ok := strings.CutPrefix(name, p+"/"); ok {
		return rest, true
	}
	return "", false
}

// displayPath is the file name diagnostics give a root-relative name:
// relative to the configuration directory as the user gave it.
func (l *loader) displayPath(name string) string {
	if rel, ok := l.dirRelative(name); ok {
		return filepath.Join(l.dir, filepath.FromSlash(rel))
	}
	up := strings.Repeat("../", strings.Count(l.prefix(), "/")+1)
	return filepath.Join(l.dir, filepath.FromSlash(up+name))
}

// readRootFile reads a root-relative file as readSource does.
func (l *loader) readRootFile(name string, limit int64) ([]byte, error) {
	if rel, ok := l.dirRelative(name); ok {
		return l.readSource(rel, limit)
	}
	sh := l.sharedState()
	if b, ok := sh.outside[name]; ok {
		return b, nil
	}
	b, err := l.readCounted(sh.rootFS, name, limit)
	if err != nil {
		return nil, err
	}
	sh.outside[name] = b
	return b, nil
}

// allSourceFiles is Config.Files: named relative to the configuration
// directory, or, with a root above it, relative to the root.
func (l *loader) allSourceFiles() []SourceFile {
	files := l.sourceFiles()
	p := l.prefix()
	if p == "" {
		return files
	}
	for i := range files {
		files[i].Name = p + "/" + files[i].Name
	}
	sh := l.sharedState()
	for _, name := range slices.Sorted(maps.Keys(sh.outside)) {
		files = append(files, SourceFile{Name: name, Content: sh.outside[name]})
	}
	sortFiles(files)
	return files
}

func sortFiles(files []SourceFile) {
	for i := 1; i < len(files); i++ {
		for j := i; j > 0 && files[j].Name < files[j-1].Name; j-- {
			files[j], files[j-1] = files[j-1], files[j]
		}
	}
}

// refuseSettingsInModule reports a glow, gateflow or vault block in a
// module; it returns true when it did.
func (l *loader) refuseSettingsInModule(b *hcl.Block) bool {
	if l.modulePath == "" {
		return false
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("%s block in a module", b.Type),
		Detail:   fmt.Sprintf("The glow, gateflow and vault settings belong to the root configuration (an environment's directory), not to a module: a module is reused by configurations that each point at their own instances. Move this %s block to the configuration that calls the module.", b.Type),
		Subject:  b.DefRange.Ptr(),
	})
	return true
}

// moduleArgValues gives the module's variables the call's arguments, as
// the variable values of highest precedence.
func (l *loader) moduleArgValues(given map[string]cty.Value) {
	for _, name := range slices.Sorted(maps.Keys(l.moduleArgs)) {
		arg := l.moduleArgs[name]
		v := l.vars[name]
		if v == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported argument",
				Detail:   fmt.Sprintf("An argument named %q is not expected here: the module at %s declares no variable %q.", name, l.displayPath(l.moduleDir), name),
				Subject:  arg.rng.Ptr(),
			})
			continue
		}
		if v.sensitive {
			l.rememberValue(arg.val)
		}
		given[name] = arg.val
		v.source, v.valueRange = "module", arg.rng.Ptr()
	}
}

// missingModuleArgs reports the module variables without a value.
func (l *loader) missingModuleArgs(missing []*variable) {
	for _, v := range missing {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   fmt.Sprintf("The argument %q is required by the module (its variable, declared at %s, has no default), but the call does not set it.", v.name, rangeString(v.declRange)),
			Subject:  l.callRange.Ptr(),
		})
	}
}

var moduleCallReserved = map[string]string{
	"count":      "Switchboard modules take for_each only: count would make the instance keys numbers that change when an element is removed, and every provider in a later instance would get a new address. Use for_each = toset([...]) or a map.",
	"version":    "Only local module sources are supported, and a local module has no version.",
	"providers":  "A Switchboard configuration has one Glow and one Gateflow (its glow and gateflow settings): a module's providers use them, and there is nothing to pass.",
	"depends_on": "Modules are evaluated in the order their arguments need: depends_on has nothing to order.",
}

// evalModules evaluates the module calls of this module, each call after
// the calls its arguments refer to, and makes module.NAME available to
// the providers and outputs.
func (l *loader) evalModules(cfg *Config) {
	if len(l.moduleBlocks) == 0 {
		return
	}
	calls, order := l.moduleCalls()
	w := &moduleCallWalk{
		l: l, cfg: cfg, calls: calls,
		attrsOf: map[string]hcl.Attributes{},
		deps:    map[string][]string{},
		values:  map[string]cty.Value{},
		state:   map[string]int{},
	}
	for _, name := range order {
		attrs, diags := calls[name].Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		w.attrsOf[name] = attrs
		w.deps[name] = moduleCallDeps(attrs, calls)
	}
	for _, name := range order {
		w.visit(name)
	}
	l.ctx.Variables["module"] = objectOf(w.values)
}

// moduleCalls returns this module's calls by name, and their names in
// declaration order, reporting invalid and duplicate names.
func (l *loader) moduleCalls() (map[string]*hcl.Block, []string) {
	calls := map[string]*hcl.Block{}
	var order []string
	for _, b := range l.moduleBlocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			l.diags = append(l.diags, invalidName("module", b.LabelRanges[0]))
			continue
		}
		if prev := calls[name]; prev != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate module call",
				Detail:   fmt.Sprintf("A module call named %q was already declared at %s. Module calls need unique names, since module.%s is part of every address in them.", name, rangeString(prev.DefRange), name),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		calls[name] = b
		order = append(order, name)
	}
	return calls, order
}

// moduleCallDeps lists the calls whose outputs a call's arguments refer
// to (module.NAME), which must be evaluated before it.
func moduleCallDeps(attrs hcl.Attributes, calls map[string]*hcl.Block) []string {
	var deps []string
	for _, a := range attrs {
		for _, t := range a.Expr.Variables() {
			if t.RootName() != "module" || len(t) < 2 {
				continue
			}
			if ta, ok := t[1].(hcl.TraverseAttr); ok && calls[ta.Name] != nil {
				deps = append(deps, ta.Name)
			}
		}
	}
	return deps
}

// moduleCallWalk evaluates module calls depth first along their
// dependencies, so that each sees the outputs of those it refers to.
type moduleCallWalk struct {
	l       *loader
	cfg     *Config
	calls   map[string]*hcl.Block
	attrsOf map[string]hcl.Attributes
	deps    map[string][]string
	values  map[string]cty.Value // the outputs of the calls evaluated
	state   map[string]int       // 1 while a call's dependencies are visited, 2 after
	stack   []string             // the calls being visited, outermost first
}

func (w *moduleCallWalk) visit(name string) {
	switch w.state[name] {
	case 2:
		return
	case 1:
		w.reportCycle(name)
		w.values[name] = cty.DynamicVal
		return
	}
	w.state[name] = 1
	w.stack = append(w.stack, name)
	for _, d := range w.deps[name] {
		w.visit(d)
	}
	w.stack = w.stack[:len(w.stack)-1]
	w.state[name] = 2
	if _, done := w.values[name]; done {
		return
	}
	w.l.ctx.Variables["module"] = objectOf(w.values)
	w.values[name] = w.l.callModule(w.cfg, w.calls[name], w.attrsOf[name])
}

// reportCycle reports the cycle that visiting name again closes.
func (w *moduleCallWalk) reportCycle(name string) {
	i := len(w.stack) - 1
	for w.stack[i] != name {
		i--
	}
	cycle := append(append([]string(nil), w.stack[i:]...), name)
	for j := range cycle {
		cycle[j] = "module." + cycle[j]
	}
	w.l.diags = append(w.l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Circular reference between module calls",
		Detail:   fmt.Sprintf("The module calls refer to each other's outputs in a cycle: %s.", strings.Join(cycle, " → ")),
		Subject:  w.calls[name].DefRange.Ptr(),
	})
}

// callModule evaluates every instance of one module call. Its value is
// the outputs: an object, or a map of objects by for_each key.
func (l *loader) callModule(cfg *Config, b *hcl.Block, attrs hcl.Attributes) cty.Value {
	name := b.Labels[0]
	src, ok := l.checkModuleCallArgs(b, attrs)
	if !ok {
		return cty.DynamicVal
	}
	dir, ok := l.moduleSource(src)
	if !ok {
		return cty.DynamicVal
	}
	stack := append(append([]string(nil), l.callStack...), l.moduleDir)
	if !l.checkModuleNesting(name, b, src, dir, stack) {
		return cty.DynamicVal
	}
	files, ok := l.moduleFiles(dir, src.Expr.Range())
	if !ok {
		return cty.DynamicVal
	}
	insts, none, ok := l.moduleCallInstances(attrs)
	if !ok {
		return none
	}
	sh := l.sharedState()
	outs := map[string]cty.Value{}
	for _, inst := range insts {
		sh.instances++
		if sh.instances > MaxModuleInstances {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Too many module instances",
				Detail:   fmt.Sprintf("A configuration evaluates at most %d module instances.", MaxModuleInstances),
				Subject:  b.DefRange.Ptr(),
			})
			return cty.DynamicVal
		}
		args, ok := l.moduleCallArgs(attrs, inst)
		if !ok {
			continue
		}
		step := ModuleStep{Name: name, Key: inst.key, HasKey: inst.hasKey}
		modPath := step.String()
		if l.modulePath != "" {
			modPath = l.modulePath + "." + modPath
		}
		out := l.runModule(cfg, modPath, dir, stack, args, b.DefRange, files)
		if !inst.hasKey {
			return out
		}
		outs[inst.key] = out
	}
	if len(insts) == 1 && !insts[0].hasKey {
		return cty.DynamicVal
	}
	return objectOf(outs)
}

// checkModuleCallArgs returns a call's source, reporting a missing one and
// the Terraform meta-arguments a Switchboard module call does not take.
func (l *loader) checkModuleCallArgs(b *hcl.Block, attrs hcl.Attributes) (*hcl.Attribute, bool) {
	src := attrs["source"]
	if src == nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   "A module call needs source: the module's directory, a local path starting with ./ or ../.",
			Subject:  b.DefRange.Ptr(),
		})
		return nil, false
	}
	for _, k := range slices.Sorted(maps.Keys(moduleCallReserved)) {
		if a := attrs[k]; a != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("%s is not supported in a module call", k),
				Detail:   moduleCallReserved[k],
				Subject:  a.NameRange.Ptr(),
			})
			return nil, false
		}
	}
	return src, true
}

// checkModuleNesting reports a call of dir from inside dir's own
// evaluation (stack is the modules being evaluated, outermost first, this
// one last), and calls nested deeper than MaxModuleDepth.
func (l *loader) checkModuleNesting(name string, b *hcl.Block, src *hcl.Attribute, dir string, stack []string) bool {
	for i, d := range stack {
		if d != dir {
			continue
		}
		chain := make([]string, 0, len(stack)-i+1)
		for _, s := range stack[i:] {
			chain = append(chain, l.displayPath(s))
		}
		chain = append(chain, l.displayPath(dir))
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Module cycle",
			Detail:   fmt.Sprintf("module.%s calls %s, which is already being evaluated: the module calls form a cycle (%s). A module cannot call itself, directly or through other modules.", name, l.displayPath(dir), strings.Join(chain, " → ")),
			Subject:  src.Expr.Range().Ptr(),
		})
		return false
	}
	if len(stack) > MaxModuleDepth {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Modules nested too deeply",
			Detail:   fmt.Sprintf("Module calls nest at most %d deep.", MaxModuleDepth),
			Subject:  b.DefRange.Ptr(),
		})
		return false
	}
	return true
}

// moduleCallInstances returns a call's instances: one without a key, or
// one per for_each element. When there are none it returns false and the
// call's value: an empty object, or unknown after an error.
func (l *loader) moduleCallInstances(attrs hcl.Attributes) ([]instance, cty.Value, bool) {
	fe := attrs["for_each"]
	if fe == nil {
		return []instance{{}}, cty.NilVal, true
	}
	before := len(l.diags)
	insts := l.instances(fe)
	if len(insts) == 0 {
		if l.diags[before:].HasErrors() {
			return nil, cty.DynamicVal, false
		}
		return nil, cty.EmptyObjectVal, false
	}
	return insts, cty.NilVal, true
}

// moduleCallArgs evaluates a call's arguments for one instance (each.key
// and each.value set); false if any failed.
func (l *loader) moduleCallArgs(attrs hcl.Attributes, inst instance) (map[string]moduleArg, bool) {
	ctx := l.instanceContexts().of(inst)
	args := map[string]moduleArg{}
	failed := false
	for _, a := range sortedAttrs(attrs) {
		if a.Name == "source" || a.Name == "for_each" {
			continue
		}
		val, ok := l.eval(a.Expr, ctx, inst.hasKey)
		if !ok {
			failed = true
			continue
		}
		args[a.Name] = moduleArg{val: val, rng: a.Expr.Range()}
	}
	return args, !failed
}

// moduleSource checks a call's source and returns the module's directory
// relative to the root file system.
func (l *loader) moduleSource(a *hcl.Attribute) (string, bool) {
	fail := func(summary, detail string) (string, bool) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: a.Expr.Range().Ptr()})
		return "", false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || v.IsNull() || !v.IsKnown() {
		return fail("Invalid module source", "The source of a module call must be a literal string, a local path starting with ./ or ../: Switchboard reads the module's files before it evaluates anything.")
	}
	s := v.AsString()
	local := strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../")
	if !local || strings.Contains(s, "\\") || strings.Contains(s, "::") || strings.Contains(s, "?") || strings.Contains(s, "//") && !strings.HasPrefix(s, ".//") {
		what := "not a local path"
		switch {
		case strings.HasPrefix(s, "/"), filepath.IsAbs(s), filepath.VolumeName(s) != "":
			what = "an absolute path"
		case strings.Contains(s, "::"):
			what = "a forced source type (like git::)"
		case strings.Contains(s, "://"):
			what = "a URL"
		case strings.HasPrefix(s, "github.com/"), strings.HasPrefix(s, "bitbucket.org/"), strings.HasPrefix(s, "git@"):
			what = "a repository address"
		case strings.Count(s, "/") >= 2:
			what = "a registry address"
		}
		return fail("Unsupported module source", fmt.Sprintf("The source %q is %s. Switchboard supports only local module sources: a path starting with ./ or ../, relative to the directory of the calling module. Copy or vendor the module into the repository.", s, what))
	}
	dir := path.Join(l.moduleDir, s)
	if dir == ".." || strings.HasPrefix(dir, "../") {
		where := "the configuration directory"
		hint := fmt.Sprintf(" To share modules between configurations in sibling directories (environments/staging calling ../../modules/team), put an empty %s file in the directory that holds them all (docs/environments.md).", RootMarkerFile)
		if l.prefix() != "" {
			where = fmt.Sprintf("the directory holding %s", RootMarkerFile)
			hint = ""
		}
		return fail("Module source outside the configuration", fmt.Sprintf("The source %q leads out of %s, which is all a configuration (and a plan file, which embeds every file it read) may read.%s", s, where, hint))
	}
	if dir == "." {
		dir = ""
	}
	return dir, true
}

// moduleFiles reads and parses the configuration files of a module
// directory, once per Load.
func (l *loader) moduleFiles(dir string, at hcl.Range) ([]*hcl.File, bool) {
	sh := l.sharedState()
	if files, ok := sh.parsed[dir]; ok {
		return files, files != nil
	}
	sh.parsed[dir] = nil
	fail := func(detail string) ([]*hcl.File, bool) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the module", Detail: detail, Subject: at.Ptr()})
		return nil, false
	}
	listDir := dir
	if listDir == "" {
		listDir = "."
	}
	entries, err := fs.ReadDir(sh.rootFS, listDir)
	if err != nil {
		return fail(fmt.Sprintf("The module directory %s %s.", l.displayPath(dir), describeStatError(sh.rootFS, listDir, err)))
	}
	var files []*hcl.File
	ok := true
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !isConfigFile(n) {
			continue
		}
		name := path.Join(dir, n)
		display := l.displayPath(name)
		src, err := l.readRootFile(name, MaxConfigFileSize)
		if err != nil {
			var size sizeError
			if errors.As(err, &size) {
				l.diags = append(l.diags, fileTooLarge(display, size))
			} else {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read a configuration file", Detail: fmt.Sprintf("%s %s.", display, err), Subject: at.Ptr()})
			}
			ok = false
			continue
		}
		if sh.sources == nil {
			sh.sources = map[string][]byte{}
		}
		sh.sources[name] = src
		f, diags := l.parsed.parse(src, display, strings.HasSuffix(n, ".json"))
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			ok = false
		}
		if f != nil {
			files = append(files, f)
		}
	}
	if !ok {
		return nil, false
	}
	if len(files) == 0 {
		return fail(fmt.Sprintf("The module directory %s has no *.hcl or *.hcl.json files.", l.displayPath(dir)))
	}
	l.indexVaultCalls(files)
	sh.parsed[dir] = files
	return files, true
}

// runModule evaluates one module instance with a loader of its own that
// shares the files, secrets and bounds of this one. Its diagnostics say
// which module instance they come from.
func (l *loader) runModule(cfg *Config, modPath, dir string, stack []string, args map[string]moduleArg, callRange hcl.Range, files []*hcl.File) cty.Value {
	opts := l.opts
	opts.Vars, opts.VarFiles, opts.PlannedVars = nil, nil, nil
	// The variables of a module take the call's arguments only.
	env := l.opts.Env
	opts.Env = func(k string) (string, bool) {
		if strings.HasPrefix(k, "SWITCHBOARD_VAR_") {
			return "", false
		}
		return env(k)
	}
	// Non-nil: a module reads no variable file of the directory.
	opts.FS = l.fsys
	child := &loader{
		dir:        l.dir,
		opts:       opts,
		fsys:       l.fsys,
		parsed:     l.parsed,
		secrets:    l.secrets,
		creds:      l.creds,
		vaultCalls: l.vaultCalls,
		read:       l.read,
		total:      l.total,
		uses:       map[string]bool{},
		moduleScope: moduleScope{
			modulePath: modPath,
			moduleDir:  dir,
			callStack:  stack,
			moduleArgs: args,
			callRange:  callRange,
			shared:     l.shared,
		},
	}
	child.decode(cfg, hcl.MergeFiles(files))
	l.total = child.total
	l.usedVault = l.usedVault || child.usedVault
	for _, d := range child.diags {
		if d.Detail != "" && !strings.Contains(d.Detail, "\n\nIn module.") || d.Detail == "" {
			d.Detail = strings.TrimSpace(d.Detail + fmt.Sprintf("\n\nIn %s (called at %s).", modPath, rangeString(callRange)))
		}
		l.diags = append(l.diags, d)
	}
	if child.outputs == nil {
		return cty.EmptyObjectVal
	}
	return objectOf(child.outputs)
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true},
		{Name: "description"},
		{Name: "sensitive"},
	},
}

// evalOutputs evaluates the module's output blocks.
func (l *loader) evalOutputs() {
	l.outputs = map[string]cty.Value{}
	seen := map[string]*hcl.Block{}
	for _, b := range l.outputBlocks {
		name := b.Labels[0]
		if prev := seen[name]; prev != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate output definition",
				Detail:   fmt.Sprintf("An output named %q was already defined at %s. Output names must be unique within a module.", name, rangeString(prev.DefRange)),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		seen[name] = b
		content, diags := b.Body.Content(outputSchema)
		l.diags = append(l.diags, diags...)
		a := content.Attributes["value"]
		if a == nil {
			continue
		}
		val, ok := l.eval(a.Expr, l.ctx, false)
		if !ok {
			val = cty.DynamicVal
		}
		if s := content.Attributes["sensitive"]; s != nil {
			if sv, d := s.Expr.Value(nil); !d.HasErrors() && sv.Type() == cty.Bool && sv.True() {
				val = val.Mark(Sensitive)
			}
		}
		l.outputs[name] = val
	}
}

// moduleRefDiags checks a module.NAME reference: the call must exist, and
// module outputs are not available to locals (they are evaluated first).
func (l *loader) moduleRefDiags(attr string, rng *hcl.Range) hcl.Diagnostics {
	known := false
	for _, b := range l.moduleBlocks {
		if b.Labels[0] == attr {
			known = true
		}
	}
	if !known {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Reference to undeclared module",
			Detail:   fmt.Sprintf("No module call named %q is declared in this module.", attr),
			Subject:  rng,
		}}
	}
	if l.ctx == nil || l.ctx.Variables["module"] == cty.NilVal {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Module output used too early",
			Detail:   "Module outputs can be used in provider blocks, outputs and other module calls' arguments, not in variables' validations or locals, which are evaluated before the module calls.",
			Subject:  rng,
		}}
	}
	return nil
}

// declareOutput keeps a module's output block; the root module has no
// caller to read one.
func (l *loader) declareOutput(b *hcl.Block) {
	if l.modulePath == "" {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Output in the root configuration",
			Detail:   "output blocks belong in modules, whose callers read them as module.NAME.OUTPUT. The root configuration has no caller.",
			Subject:  b.DefRange.Ptr(),
		})
		return
	}
	l.outputBlocks = append(l.outputBlocks, b)
}

// modulePathValue is path.module: the module's directory as diagnostics
// name it.
func (l *loader) modulePathValue() string {
	if l.modulePath == "" {
		return l.dir
	}
	return filepath.ToSlash(l.displayPath(l.moduleDir))
}

// environment reads glow { environment }.
func (l *loader) environment(attrs hcl.Attributes) string {
	v, a := l.plainAttr(attrs, "environment", l.ctx, cty.String)
	if v == cty.NilVal {
		return ""
	}
	if e := v.AsString(); validOwner(e) {
		return e
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid environment",
		Detail:   fmt.Sprintf("The environment %q is not 1 to 64 characters of ASCII letters, digits, '-', '_' and '.'. It is written next to the owner into the ownership marker of every Glow provider this configuration manages.", v.AsString()),
		Subject:  a.Expr.Range().Ptr(),
	})
	return ""
}

// moduleChecksum adds the module files to the configuration files' sum, so
// that Config.Checksum changes with a module; a configuration without
// modules keeps the sum of its own files.
func (l *loader) moduleChecksum(sum hash.Hash) string {
	sh := l.sharedState()
	for _, name := range slices.Sorted(maps.Keys(sh.sources)) {
		fmt.Fprintf(sum, "module:%s\x00%d\x00", name, len(sh.sources[name]))
		sum.Write(sh.sources[name])
	}
	return hex.EncodeToString(sum.Sum(nil))
}
