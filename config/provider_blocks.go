package config

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A providerItem is a glow_provider or gateflow_provider block of the
// module, or a run of them that the first pass left unparsed.
type providerItem struct {
	block *hcl.Block
	run   *providerRun
}

func (p providerItem) at() (string, int) {
	if p.run != nil {
		return p.run.filename, p.run.start.Byte
	}
	return p.block.DefRange.Filename, p.block.DefRange.Start.Byte
}

// withProviderRuns places the module's provider runs among its parsed
// provider blocks, in file order: the order a whole parse gives them, which
// decides which of two same-named blocks is the duplicate.
func (l *loader) withProviderRuns(blocks []providerItem) []providerItem {
	if len(l.providerRuns) == 0 {
		return blocks
	}
	items := slices.Grow(blocks, len(l.providerRuns))
	for i := range l.providerRuns {
		items = append(items, providerItem{run: &l.providerRuns[i]})
	}
	slices.SortStableFunc(items, func(a, b providerItem) int {
		af, ab := a.at()
		bf, bb := b.at()
		if af != bf {
			if af < bf {
				return -1
			}
			return 1
		}
		return ab - bb
	})
	l.providerRuns = nil
	return items
}

// decodeProviders reads the glow_provider and gateflow_provider blocks of
// one module, parsing each run of them as it comes: a run's syntax tree is
// garbage once its Glow providers are decoded. It returns how many blocks
// of each kind were declared, and false when a run had a syntax error
// (see runSyntaxErrors). Glow's and Gateflow's uniqueness rules hold
// across modules: they are checked once, in the root module, which is
// evaluated last.
func (l *loader) decodeProviders(cfg *Config, items []providerItem) (glows, gateflows int, ok bool) {
	sh := l.sharedState()
	seen := map[string]hcl.Range{}
	var gateflowBlocks []*hcl.Block
	declare := func(b *hcl.Block) {
		if !l.declareProvider(b, seen) {
			return
		}
		if b.Type == GlowProviderType {
			glows++
			sh.glows = append(sh.glows, l.decodeGlowProvider(cfg, b)...)
		} else {
			gateflows++
			gateflowBlocks = append(gateflowBlocks, b)
		}
	}
	// Sized up front: grown by append, the slices of 100,000 providers
	// cost 200 MB of copies, and two of them at once at the end of the
	// load, which is one of a large plan's memory peaks.
	blocks := 0
	for _, it := range items {
		if it.run != nil {
			blocks += it.run.blocks
		} else {
			blocks++
		}
	}
	cfg.GlowProviders = slices.Grow(cfg.GlowProviders, blocks)
	sh.glows = slices.Grow(sh.glows, blocks)
	parsed, stop := parseAhead(items)
	defer stop()
	for i, it := range items {
		if it.run == nil {
			declare(it.block)
			continue
		}
		next := <-parsed
		body, diags := next.body, next.diags
		if diags.HasErrors() {
			// A syntax error is reported as one anywhere is: with the
			// diagnostics of a parse of its whole file (and of every
			// later file with a run not yet parsed), and without what
			// evaluation said so far, since evaluating a partial body
			// buries the real error under follow-on ones.
			l.diags = l.diags[:l.parseDiags]
			var rest []providerRun
			for _, later := range items[i:] {
				if later.run != nil {
					rest = append(rest, *later.run)
				}
			}
			l.runSyntaxErrors(rest)
			return 0, 0, false
		}
		l.indexVaultCallsIn(body)
		content, diags := body.Content(rootSchema)
		l.diags = append(l.diags, diags...)
		for _, b := range content.Blocks {
			declare(b)
		}
	}
	for _, b := range gateflowBlocks {
		sh.gateflows = append(sh.gateflows, l.decodeGateflowProvider(cfg, b)...)
	}
	if l.modulePath == "" {
		l.checkGlowProviders(sh.glows)
		l.checkGateflowProviders(sh.gateflows)
	}
	return glows, gateflows, true
}

// parsedRun is a provider run's parse.
type parsedRun struct {
	body  *hclsyntax.Body
	diags hcl.Diagnostics
}

// runsAhead bounds how many parsed runs wait for decoding: enough to keep
// the parse going while a run is decoded, few enough that their syntax
// trees stay a small part of the load's memory.
const runsAhead = 32

// parseAhead parses the runs among items, in order, on a goroutine of its
// own, so that on a second core the parse of the next runs overlaps the
// decoding of this one (the two are about equal work). Parsing is pure: it
// touches nothing of the loader. stop ends it early.
func parseAhead(items []providerItem) (<-chan parsedRun, func()) {
	out := make(chan parsedRun, runsAhead)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for _, it := range items {
			if it.run == nil {
				continue
			}
			body, diags := it.run.parse()
			select {
			case out <- parsedRun{body, diags}:
			case <-done:
				return
			}
		}
	}()
	return out, func() { close(done) }
}

// declareProvider checks a provider block's name, and that no block
// before it in the module has its address.
func (l *loader) declareProvider(b *hcl.Block, seen map[string]hcl.Range) bool {
	if !hclsyntax.ValidIdentifier(b.Labels[0]) {
		l.diags = append(l.diags, invalidName("provider", b.LabelRanges[0]))
		return false
	}
	key := b.Type + "." + b.Labels[0]
	if prev, dup := seen[key]; dup {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
			Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Each provider block needs a unique name, since its address (%s) identifies it in plans and in the ownership marker.", b.Type, b.Labels[0], rangeString(prev), key),
			Subject:  b.DefRange.Ptr(),
		})
		return false
	}
	seen[key] = b.DefRange
	return true
}

// runSyntaxErrors adds the syntax errors of the files of runs, from a parse
// of each whole file, as the parse of any other file reports them.
func (l *loader) runSyntaxErrors(runs []providerRun) {
	done := map[string]bool{}
	for _, r := range runs {
		if done[r.filename] {
			continue
		}
		done[r.filename] = true
		_, diags := hclsyntax.ParseConfig(r.file, r.filename, hcl.InitialPos)
		l.diags = append(l.diags, diags...)
	}
}
