package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Block types that declare providers; they are also the first part of an
// address.
const (
	GlowProviderType     = "glow_provider"
	GateflowProviderType = "gateflow_provider"
)

// Address names one provider instance the way Terraform names a resource
// instance: glow_provider.openai_prod, or glow_provider.per_department["cs"]
// for an instance of a block with for_each, and
// module.team["cs"].glow_provider.openai for one declared in a module.
type Address struct {
	// Module is the module instance path, as String writes it
	// (module.team["cs"].module.keys), or empty in the root module.
	Module string
	// Type is GlowProviderType or GateflowProviderType.
	Type string
	// Name is the block label.
	Name string
	// Key is the for_each key; HasKey tells an empty key from no key.
	Key    string
	HasKey bool
}

// String renders the address with HCL string escaping for the key, so that
// ParseAddress reads it back.
func (a Address) String() string {
	s := a.Type + "." + a.Name
	if a.HasKey {
		s += "[" + quoteKey(a.Key) + "]"
	}
	if a.Module != "" {
		s = a.Module + "." + s
	}
	return s
}

func quoteKey(k string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(k)).Bytes())
}

// Block returns the address of the block the instance comes from (the
// address without its key), in the same module instance.
func (a Address) Block() Address { return Address{Module: a.Module, Type: a.Type, Name: a.Name} }

// ModuleStep is one step of a module instance path: module.NAME or
// module.NAME["KEY"].
type ModuleStep struct {
	Name   string
	Key    string
	HasKey bool
}

func (s ModuleStep) String() string {
	out := "module." + s.Name
	if s.HasKey {
		out += "[" + quoteKey(s.Key) + "]"
	}
	return out
}

// Target is what --target names: a provider instance or block, or a whole
// module instance or module call (Resource is then empty), which selects
// every provider declared in it, nested modules included.
type Target struct {
	Module []ModuleStep
	// Resource is the provider part; its Module is the rendered Module.
	Resource *Address
}

// ParseAddress reads an address as String writes it, for command-line
// targets and state files.
func ParseAddress(s string) (Address, error) {
	t, err := ParseTarget(s)
	if err != nil {
		return Address{}, err
	}
	if t.Resource == nil {
		return Address{}, fmt.Errorf("invalid address %q: want [module.NAME[\"KEY\"].]TYPE.NAME or TYPE.NAME[\"KEY\"]", s)
	}
	return *t.Resource, nil
}

// ParseTarget reads a provider address or a module instance address.
func ParseTarget(s string) (Target, error) {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return Target{}, fmt.Errorf("invalid address %q: %s", s, diags[0].Summary)
	}
	p := targetTraversal{src: s, trav: trav}
	module, i, err := p.moduleSteps()
	if err != nil {
		return Target{}, err
	}
	t := Target{Module: module}
	if i == len(trav) {
		if len(t.Module) == 0 {
			return Target{}, p.invalid(targetForms)
		}
		return t, nil
	}
	if t.Resource, err = p.resource(i, ModulePath(t.Module)); err != nil {
		return Target{}, err
	}
	return t, nil
}

// targetForms is what ParseTarget accepts, for its errors.
const targetForms = "want TYPE.NAME, TYPE.NAME[\"KEY\"], or either after module.NAME or module.NAME[\"KEY\"]"

// targetTraversal is an address being read by ParseTarget: src for its
// errors, trav its parsed steps.
type targetTraversal struct {
	src  string
	trav hcl.Traversal
}

func (p targetTraversal) invalid(why string) error {
	return fmt.Errorf("invalid address %q: %s", p.src, why)
}

// name is the identifier at step i: the root or an attribute, not an index.
func (p targetTraversal) name(i int) (string, bool) {
	if i == 0 {
		if r, ok := p.trav[0].(hcl.TraverseRoot); ok {
			return r.Name, true
		}
		return "", false
	}
	if a, ok := p.trav[i].(hcl.TraverseAttr); ok {
		return a.Name, true
	}
	return "", false
}

// key is the instance key at step i, if there is an index there; an index
// that is not a string is an error.
func (p targetTraversal) key(i int) (string, bool, error) {
	if i >= len(p.trav) {
		return "", false, nil
	}
	idx, ok := p.trav[i].(hcl.TraverseIndex)
	if !ok {
		return "", false, nil
	}
	if idx.Key.Type() != cty.String {
		return "", false, p.invalid("the instance key must be a quoted string")
	}
	return idx.Key.AsString(), true, nil
}

// moduleSteps reads the leading module.NAME and module.NAME["KEY"] steps,
// returning them and the index of the first step after them.
func (p targetTraversal) moduleSteps() ([]ModuleStep, int, error) {
	var steps []ModuleStep
	i := 0
	for i < len(p.trav) {
		root, ok := p.name(i)
		if !ok {
			return nil, 0, p.invalid(targetForms)
		}
		if root != "module" {
			break
		}
		if i+1 >= len(p.trav) {
			return nil, 0, p.invalid("module must be followed by the module call's name, like module.NAME")
		}
		name, ok := p.name(i + 1)
		if !ok {
			return nil, 0, p.invalid(targetForms)
		}
		k, hasKey, err := p.key(i + 2)
		if err != nil {
			return nil, 0, err
		}
		steps = append(steps, ModuleStep{Name: name, Key: k, HasKey: hasKey})
		i += 2
		if hasKey {
			i++
		}
	}
	return steps, i, nil
}

// resource reads the TYPE.NAME or TYPE.NAME["KEY"] that steps i on are, in
// the module instance module.
func (p targetTraversal) resource(i int, module string) (*Address, error) {
	rest := len(p.trav) - i
	if rest < 2 || rest > 3 {
		return nil, p.invalid(targetForms)
	}
	typ, _ := p.name(i)
	if typ != GlowProviderType && typ != GateflowProviderType {
		return nil, p.invalid(fmt.Sprintf("type must be %s or %s", GlowProviderType, GateflowProviderType))
	}
	name, ok := p.name(i + 1)
	if !ok {
		return nil, p.invalid("want TYPE.NAME")
	}
	a := Address{Type: typ, Name: name, Module: module}
	if rest == 3 {
		k, hasKey, err := p.key(i + 2)
		if err != nil {
			return nil, err
		}
		if !hasKey {
			return nil, p.invalid("the instance key must be a quoted string")
		}
		a.Key, a.HasKey = k, true
	}
	return &a, nil
}

// String renders the target as ParseTarget reads it.
func (t Target) String() string {
	if t.Resource != nil {
		return t.Resource.String()
	}
	return ModulePath(t.Module)
}

// ModulePath renders module steps: module.a["x"].module.b.
func ModulePath(steps []ModuleStep) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.String()
	}
	return strings.Join(parts, ".")
}

// ModuleTargets lists the module targets a module instance path is in,
// outermost first: for module.a["x"].module.b, module.a, module.a["x"],
// module.a["x"].module.b.
func ModuleTargets(module string) []string {
	if module == "" {
		return nil
	}
	t, err := ParseTarget(module)
	if err != nil {
		return nil
	}
	var out []string
	for i, s := range t.Module {
		prefix := ModulePath(t.Module[:i])
		if prefix != "" {
			prefix += "."
		}
		out = append(out, prefix+"module."+s.Name)
		if s.HasKey {
			out = append(out, prefix+s.String())
		}
	}
	return out
}
