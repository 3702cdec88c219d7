package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// departments the soak's Glow providers live in. The configuration does
// not prune them: removing a block destroys its provider because the
// provider carries the configuration's ownership marker.
var departments = []string{"soak_a", "soak_b", "soak_c"}

// soakOwner is the configuration's owner identity (glow { owner }), which
// every provider, key and endpoint it makes carries.
const soakOwner = "soak"

// endpointPool is what providers route to; shared URLs share endpoints.
var endpointPool = []string{
	"https://one.soak.test/v1", "https://two.soak.test/v1",
	"https://three.soak.test/v1", "https://four.soak.test/v1",
}

// gateflowModels is Gateflow's fixed catalogue with a model of each.
var gateflowModels = map[string]string{
	"openai":     "gpt-5.2",
	"anthropic":  "claude-sonnet-4-5-20250929",
	"google":     "gemini-3-pro",
	"mistral":    "mistral-large-latest",
	"cohere":     "command-r-plus",
	"elevenlabs": "eleven_multilingual_v2",
}

// ref points at a Vault secret's api_key; Pin 0 follows the current
// version, Pin N is vault(path, "api_key", N).
type ref struct {
	Path string
	Pin  int
}

type glowProv struct {
	Label     string
	Name      string
	Desc      string
	Depts     []string
	Endpoints []string
	Values    map[string]string
	Keys      map[string]ref
}

type gfProv struct {
	ID       string
	Enabled  bool
	Cred     string // Vault path of credentials.api_key
	Timeout  int
	Retries  int
	Settings bool // whether default_model is set
}

// model is one configuration: the soak's desired state.
type model struct {
	Glow map[string]*glowProv
	GF   map[string]*gfProv
}

func (m *model) clone() *model {
	c := &model{Glow: map[string]*glowProv{}, GF: map[string]*gfProv{}}
	for k, g := range m.Glow {
		cp := *g
		cp.Depts = slices.Clone(g.Depts)
		cp.Endpoints = slices.Clone(g.Endpoints)
		cp.Values = maps.Clone(g.Values)
		cp.Keys = maps.Clone(g.Keys)
		c.Glow[k] = &cp
	}
	for k, g := range m.GF {
		cp := *g
		c.GF[k] = &cp
	}
	return c
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = quote(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// hcl renders the model as a configuration a user would write.
func (m *model) hcl() string {
	var b strings.Builder
	fmt.Fprintf(&b, "glow {\n  owner = %q\n}\n\ngateflow {\n  prune = true\n}\n\nvault {}\n", soakOwner)
	for _, l := range slices.Sorted(maps.Keys(m.Glow)) {
		g := m.Glow[l]
		fmt.Fprintf(&b, "\nglow_provider %q {\n", l)
		fmt.Fprintf(&b, "  name        = %s\n  description = %s\n", quote(g.Name), quote(g.Desc))
		fmt.Fprintf(&b, "  departments = %s\n  endpoints   = %s\n", quoteList(g.Depts), quoteList(g.Endpoints))
		var vs []string
		for _, k := range slices.Sorted(maps.Keys(g.Values)) {
			vs = append(vs, fmt.Sprintf("%s = %s", k, quote(g.Values[k])))
		}
		fmt.Fprintf(&b, "  values      = { %s }\n", strings.Join(vs, ", "))
		for _, k := range slices.Sorted(maps.Keys(g.Keys)) {
			r := g.Keys[k]
			if r.Pin > 0 {
				fmt.Fprintf(&b, "\n  key %q {\n    value = vault(%q, \"api_key\", %d)\n  }\n", k, r.Path, r.Pin)
			} else {
				fmt.Fprintf(&b, "\n  key %q {\n    value = vault(%q, \"api_key\")\n  }\n", k, r.Path)
			}
		}
		b.WriteString("}\n")
	}
	for _, id := range slices.Sorted(maps.Keys(m.GF)) {
		g := m.GF[id]
		fmt.Fprintf(&b, "\ngateflow_provider %q {\n  enabled     = %t\n", id, g.Enabled)
		fmt.Fprintf(&b, "  credentials = { api_key = vault(%q, \"api_key\") }\n", g.Cred)
		settings := fmt.Sprintf("timeout_ms = %d, max_retries = %d", g.Timeout, g.Retries)
		if g.Settings {
			settings = fmt.Sprintf("default_model = %q, ", gateflowModels[id]) + settings
		}
		fmt.Fprintf(&b, "  settings    = { %s }\n}\n", settings)
	}
	return b.String()
}

func (m *model) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(m.hcl()), 0o644)
}

// vaultStore writes secrets and remembers every value of every version:
// what Glow must hold, and what no output may contain.
type vaultStore struct {
	c      *vaultapi.Client
	rng    *rand.Rand
	values map[string][]string // path → value of version i+1
}

func (v *vaultStore) write(ctx context.Context, path string) error {
	buf := make([]byte, 12)
	for i := range buf {
		buf[i] = byte(v.rng.UintN(256))
	}
	// Every Gateflow provider accepts sk-ant-…: openai wants sk-, anthropic
	// sk-ant-.
	val := "sk-ant-soak-" + hex.EncodeToString(buf)
	mount, rest, _ := strings.Cut(path, "/")
	if _, err := v.c.KVv2(mount).Put(ctx, rest, map[string]any{"api_key": val}); err != nil {
		return fmt.Errorf("vault: write %s: %w", path, err)
	}
	v.values[path] = append(v.values[path], val)
	return nil
}

func (v *vaultStore) current(path string) int { return len(v.values[path]) }

// expected is the value the configuration points to.
func (v *vaultStore) expected(r ref) (string, int) {
	vs := v.values[r.Path]
	n := len(vs)
	if r.Pin > 0 {
		n = r.Pin
	}
	if n == 0 || n > len(vs) {
		return "", n
	}
	return vs[n-1], n
}

func (v *vaultStore) all() []string {
	var out []string
	for _, vs := range v.values {
		out = append(out, vs...)
	}
	return out
}

// counts are operations the soak asked for.
type counts struct {
	Creates, Updates, Rotations, Destroys int
}

// mutator makes random configuration changes with a deterministic PRNG.
type mutator struct {
	rng   *rand.Rand
	vault *vaultStore
	next  int
}

const (
	maxGlow   = 10
	minGlow   = 3
	sharedKey = "secret/soak/shared"
)

func (mu *mutator) pick(xs []string) string { return xs[mu.rng.IntN(len(xs))] }

func (mu *mutator) subset(pool []string, lo, hi int) []string {
	n := lo + mu.rng.IntN(hi-lo+1)
	p := slices.Clone(pool)
	mu.rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	out := p[:n]
	slices.Sort(out)
	return out
}

// With own, the provider gets an endpoint URL of its own.
func (mu *mutator) createGlow(ctx context.Context, m *model, own bool) error {
	mu.next++
	l := fmt.Sprintf("p%d", mu.next)
	path := "secret/soak/" + l
	if err := mu.vault.write(ctx, path); err != nil {
		return err
	}
	g := &glowProv{
		Label: l, Name: fmt.Sprintf("Soak P%d", mu.next), Desc: "created in the soak",
		Depts:     mu.subset(departments, 1, 2),
		Endpoints: mu.subset(endpointPool, 1, 2),
		Values:    map[string]string{"tier": mu.pick([]string{"gold", "silver", "bronze"})},
		Keys:      map[string]ref{"primary": {Path: path}},
	}
	if mu.rng.IntN(3) == 0 {
		if mu.vault.current(sharedKey) == 0 {
			if err := mu.vault.write(ctx, sharedKey); err != nil {
				return err
			}
		}
		r := ref{Path: sharedKey}
		if mu.rng.IntN(2) == 0 {
			r.Pin = mu.vault.current(sharedKey)
		}
		g.Keys["backup"] = r
	}
	if own || mu.rng.IntN(2) == 0 {
		// A URL of its own: the create makes an endpoint that only this
		// provider uses, which an interrupted create can leave behind and
		// a destroy frees.
		g.Endpoints = append(g.Endpoints, fmt.Sprintf("https://p%d.soak.test/v1", mu.next))
	}
	m.Glow[l] = g
	return nil
}

func (mu *mutator) createGF(ctx context.Context, m *model) (bool, error) {
	var free []string
	for _, id := range slices.Sorted(maps.Keys(gateflowModels)) {
		if m.GF[id] == nil {
			free = append(free, id)
		}
	}
	if len(free) == 0 {
		return false, nil
	}
	id := mu.pick(free)
	path := "secret/soak/gf-" + id
	if err := mu.vault.write(ctx, path); err != nil {
		return false, err
	}
	m.GF[id] = &gfProv{ID: id, Enabled: true, Cred: path, Timeout: 1000 * (5 + mu.rng.IntN(50)),
		Retries: mu.rng.IntN(5), Settings: mu.rng.IntN(2) == 0}
	return true, nil
}

func (mu *mutator) updateGlow(m *model) {
	g := m.Glow[mu.pick(slices.Sorted(maps.Keys(m.Glow)))]
	switch mu.rng.IntN(5) {
	case 0:
		g.Desc = fmt.Sprintf("description %d", mu.rng.IntN(1_000_000))
	case 1:
		g.Values = maps.Clone(g.Values)
		g.Values[mu.pick([]string{"tier", "timeout_s", "region"})] = fmt.Sprint(mu.rng.IntN(100))
	case 2:
		g.Endpoints = mu.subset(endpointPool, 1, 3)
	case 3:
		// Add a department: the provider keeps the ones it has, so it is
		// the same provider (identity is name plus a shared department).
		for _, d := range departments {
			if !slices.Contains(g.Depts, d) {
				g.Depts = append(slices.Clone(g.Depts), d)
				slices.Sort(g.Depts)
				return
			}
		}
		g.Desc += "."
	default:
		if len(g.Depts) > 1 {
			g.Depts = slices.Clone(g.Depts[1:])
		} else {
			g.Values = maps.Clone(g.Values)
			delete(g.Values, "region")
			g.Values["tier"] += "+"
		}
	}
}

func (mu *mutator) updateGF(m *model) bool {
	if len(m.GF) == 0 {
		return false
	}
	g := m.GF[mu.pick(slices.Sorted(maps.Keys(m.GF)))]
	switch mu.rng.IntN(3) {
	case 0:
		g.Enabled = !g.Enabled
	case 1:
		g.Timeout += 1000
	default:
		g.Retries = (g.Retries + 1) % 6
		g.Settings = !g.Settings
	}
	return true
}

// rotate writes a new Vault version of a secret the configuration uses.
// References pinned to it follow half the time; the others keep pointing at
// their version, which Glow must keep holding.
// With glowOnly, only Glow keys' secrets are rotated.
func (mu *mutator) rotate(ctx context.Context, m *model, glowOnly bool) error {
	var paths []string
	for _, g := range m.Glow {
		for _, r := range g.Keys {
			paths = append(paths, r.Path)
		}
	}
	if !glowOnly {
		for _, g := range m.GF {
			paths = append(paths, g.Cred)
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	if len(paths) == 0 {
		return nil
	}
	path := mu.pick(paths)
	if err := mu.vault.write(ctx, path); err != nil {
		return err
	}
	for _, l := range slices.Sorted(maps.Keys(m.Glow)) {
		g := m.Glow[l]
		for _, k := range slices.Sorted(maps.Keys(g.Keys)) {
			if r := g.Keys[k]; r.Path == path && r.Pin > 0 && mu.rng.IntN(2) == 0 {
				g.Keys = maps.Clone(g.Keys)
				g.Keys[k] = ref{Path: path, Pin: mu.vault.current(path)}
			}
		}
	}
	return nil
}

func (mu *mutator) destroy(m *model) {
	if len(m.GF) > 0 && mu.rng.IntN(3) == 0 {
		delete(m.GF, mu.pick(slices.Sorted(maps.Keys(m.GF))))
		return
	}
	delete(m.Glow, mu.pick(slices.Sorted(maps.Keys(m.Glow))))
}

// mutate makes n random changes to m and counts them in c.
func (mu *mutator) mutate(ctx context.Context, m *model, n int, c *counts) error {
	for range n {
		switch r := mu.rng.IntN(100); {
		case r < 30 && len(m.Glow) < maxGlow || len(m.Glow) < minGlow:
			if len(m.Glow) >= maxGlow || mu.rng.IntN(4) == 0 {
				ok, err := mu.createGF(ctx, m)
				if err != nil {
					return err
				}
				if ok {
					c.Creates++
					continue
				}
			}
			if err := mu.createGlow(ctx, m, false); err != nil {
				return err
			}
			c.Creates++
		case r < 60:
			if mu.rng.IntN(4) > 0 || !mu.updateGF(m) {
				mu.updateGlow(m)
			}
			c.Updates++
		case r < 85:
			if err := mu.rotate(ctx, m, false); err != nil {
				return err
			}
			c.Rotations++
		default:
			if len(m.Glow) <= minGlow {
				mu.updateGlow(m)
				c.Updates++
				continue
			}
			mu.destroy(m)
			c.Destroys++
		}
	}
	return nil
}

// mutateCreatesRotations makes the changes of an interrupt round: two Glow
// creates and two rotations of Glow keys, so that the apply has create and
// rotation steps to be interrupted between. When the configuration is full,
// blocks are removed first to make room.
func (mu *mutator) mutateCreatesRotations(ctx context.Context, m *model, c *counts) error {
	for len(m.Glow) > maxGlow-2 {
		delete(m.Glow, mu.pick(slices.Sorted(maps.Keys(m.Glow))))
		c.Destroys++
	}
	for i := range 4 {
		if i < 2 {
			if err := mu.createGlow(ctx, m, true); err != nil {
				return err
			}
			c.Creates++
			continue
		}
		if err := mu.rotate(ctx, m, true); err != nil {
			return err
		}
		c.Rotations++
	}
	return nil
}
