package config

import (
	"fmt"

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
// for an instance of a block with for_each.
type Address struct {
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
		s += "[" + string(hclwrite.TokensForValue(cty.StringVal(a.Key)).Bytes()) + "]"
	}
	return s
}

// Block returns the address of the block the instance comes from (the
// address without its key).
func (a Address) Block() Address { return Address{Type: a.Type, Name: a.Name} }

// ParseAddress reads an address as String writes it, for command-line
// targets and state files.
func ParseAddress(s string) (Address, error) {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return Address{}, fmt.Errorf("invalid address %q: %s", s, diags[0].Summary)
	}
	var a Address
	if len(trav) < 2 || len(trav) > 3 {
		return Address{}, fmt.Errorf("invalid address %q: want TYPE.NAME or TYPE.NAME[\"KEY\"]", s)
	}
	a.Type = trav.RootName()
	if a.Type != GlowProviderType && a.Type != GateflowProviderType {
		return Address{}, fmt.Errorf("invalid address %q: type must be %s or %s", s, GlowProviderType, GateflowProviderType)
	}
	name, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return Address{}, fmt.Errorf("invalid address %q: want TYPE.NAME", s)
	}
	a.Name = name.Name
	if len(trav) == 3 {
		idx, ok := trav[2].(hcl.TraverseIndex)
		if !ok || idx.Key.Type() != cty.String {
			return Address{}, fmt.Errorf("invalid address %q: the instance key must be a quoted string", s)
		}
		a.Key, a.HasKey = idx.Key.AsString(), true
	}
	return a, nil
}
