package importer

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/config"
)

// The files Render writes. Import refuses to write into a directory that
// has configuration files, so these names never meet a user's own.
const (
	FileMain     = "main.hcl"
	FileGlow     = "glow.hcl"
	FileGateflow = "gateflow.hcl"
)

// Services says which connection blocks to write: the services that were
// imported, even when nothing was found in them, so that the next plan
// reads them.
type Services struct {
	Glow, Gateflow bool
}

// Render writes the configuration as files, by name, in the style `switchboard
// fmt` keeps. The output depends only on the Import, never on the time or
// the map order, so importing an unchanged installation twice gives the same
// files and a diff of two imports shows only what changed.
func Render(im *Import, svc Services) (map[string][]byte, error) {
	files := map[string]*hclwrite.File{}

	// hclwrite writes an empty block over two lines; the examples and
	// every Terraform user write `glow {}`.
	var blocks []string
	if svc.Glow {
		blocks = append(blocks, "glow {}\n")
	}
	if svc.Gateflow {
		blocks = append(blocks, "gateflow {}\n")
	}
	if im.usesVault() {
		blocks = append(blocks, "vault {}\n")
	}
	main := hclwrite.NewEmptyFile()
	comment(main.Body(), "Written by `switchboard import`. The connection settings come from the environment, as in examples/basic: GLOW_INSTANCE_URL and GLOW_TOKEN, GATEFLOW_URL and GATEFLOW_ADMIN_KEY, VAULT_ADDR (the Vault token is VAULT_TOKEN, never in a file).")
	raw := map[string][]byte{FileMain: append(main.Bytes(), "\n"+strings.Join(blocks, "\n")...)}

	if len(im.Glow) > 0 {
		f := hclwrite.NewEmptyFile()
		for i := range im.Glow {
			if i > 0 {
				f.Body().AppendNewline()
			}
			glowBlock(f.Body(), &im.Glow[i])
		}
		files[FileGlow] = f
	}
	if len(im.Gateflow) > 0 {
		f := hclwrite.NewEmptyFile()
		for i := range im.Gateflow {
			if i > 0 {
				f.Body().AppendNewline()
			}
			if err := gateflowBlock(f.Body(), &im.Gateflow[i]); err != nil {
				return nil, err
			}
		}
		files[FileGateflow] = f
	}

	for name, f := range files {
		raw[name] = f.Bytes()
	}
	out := make(map[string][]byte, len(raw))
	for name, b := range raw {
		src, diags := config.FormatSource(name, b)
		if diags.HasErrors() {
			// A bug here, never the user's data: every value goes through
			// hclwrite's own escaping.
			return nil, fmt.Errorf("import wrote invalid HCL in %s: %s", name, diags.Error())
		}
		out[name] = src
	}
	return out, nil
}

func (im *Import) usesVault() bool {
	for _, p := range im.Glow {
		for _, k := range p.Keys {
			if k.Ref.VaultPath != "" {
				return true
			}
		}
	}
	return len(im.Gateflow) > 0
}

func glowBlock(body *hclwrite.Body, p *GlowProvider) {
	l := p.Live
	header := fmt.Sprintf("Glow provider %s.", l.ID)
	if l.ModelUsageCount > 0 {
		header = fmt.Sprintf("Glow provider %s, used by %s: %s.", l.ID, plural(l.ModelUsageCount, "model"), strings.Join(l.ModelIDs, ", "))
	}
	comment(body, header)
	b := body.AppendNewBlock(config.GlowProviderType, []string{p.Name}).Body()
	b.SetAttributeValue("id", cty.StringVal(l.ID))
	b.SetAttributeValue("name", cty.StringVal(l.Name))
	if l.Description != "" {
		b.SetAttributeValue("description", cty.StringVal(l.Description))
	}
	if len(l.Departments) > 0 {
		b.SetAttributeValue("departments", stringList(l.Departments))
	}
	if len(l.Endpoints) > 0 {
		b.SetAttributeValue("endpoints", stringList(l.Endpoints))
	}
	if len(l.Values) > 0 {
		vals := make(map[string]cty.Value, len(l.Values))
		for k, v := range l.Values {
			vals[k] = cty.StringVal(v)
		}
		b.SetAttributeValue("values", cty.ObjectVal(vals))
	}
	for _, k := range p.Keys {
		b.AppendNewline()
		comment(b, k.Note)
		kb := b.AppendNewBlock("key", []string{k.Label}).Body()
		kb.SetAttributeRaw("value", refTokens(k.Ref))
	}
}

func gateflowBlock(body *hclwrite.Body, p *GateflowProvider) error {
	l := p.Live
	note := "Gateflow never returns credentials, so import cannot read them: store api_key at the path below before apply."
	if l.ProviderID == "openai" {
		note += " If this provider also has an organization_id credential, add it next to api_key."
	}
	comment(body, fmt.Sprintf("Gateflow provider %s.", l.ProviderID))
	b := body.AppendNewBlock(config.GateflowProviderType, []string{p.Name}).Body()
	if p.Name != l.ProviderID {
		b.SetAttributeValue("provider_id", cty.StringVal(l.ProviderID))
	}
	b.SetAttributeValue("enabled", cty.BoolVal(l.Enabled))
	if len(l.Settings) > 0 {
		vals := make(map[string]cty.Value, len(l.Settings))
		for k, v := range l.Settings {
			switch v := v.(type) {
			case string:
				vals[k] = cty.StringVal(v)
			case bool:
				vals[k] = cty.BoolVal(v)
			case float64:
				vals[k] = cty.NumberFloatVal(v)
			default:
				return fmt.Errorf("%s: setting %q has a value of type %T", p.Address(), k, v)
			}
		}
		b.SetAttributeValue("settings", cty.ObjectVal(vals))
	}
	b.AppendNewline()
	comment(b, note)
	attrs := make([]hclwrite.ObjectAttrTokens, 0, len(p.Credentials))
	for _, name := range slices.Sorted(maps.Keys(p.Credentials)) {
		attrs = append(attrs, hclwrite.ObjectAttrTokens{Name: objectKey(name), Value: refTokens(p.Credentials[name])})
	}
	b.SetAttributeRaw("credentials", hclwrite.TokensForObject(attrs))
	return nil
}

func refTokens(r Ref) hclwrite.Tokens {
	if r.Env != "" {
		return hclwrite.TokensForFunctionCall("env", hclwrite.TokensForValue(cty.StringVal(r.Env)))
	}
	args := []hclwrite.Tokens{hclwrite.TokensForValue(cty.StringVal(r.VaultPath)), hclwrite.TokensForValue(cty.StringVal(r.VaultKey))}
	if r.Version > 0 {
		args = append(args, hclwrite.TokensForValue(cty.NumberIntVal(int64(r.Version))))
	}
	return hclwrite.TokensForFunctionCall("vault", args...)
}

func objectKey(name string) hclwrite.Tokens {
	if hclsyntax.ValidIdentifier(name) {
		return hclwrite.TokensForIdentifier(name)
	}
	return hclwrite.TokensForValue(cty.StringVal(name))
}

func stringList(s []string) cty.Value {
	vals := make([]cty.Value, len(s))
	for i, v := range s {
		vals[i] = cty.StringVal(v)
	}
	return cty.ListVal(vals)
}

// comment appends text as # lines of at most about 78 columns. Text that
// came from a service (a name, a Vault message) can hold a newline, which
// would end the comment and let the rest be read as configuration, so
// every control character becomes a space.
func comment(body *hclwrite.Body, text string) {
	text = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, text)
	var toks hclwrite.Tokens
	line := "#"
	flush := func() {
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte(line + "\n")})
		line = "#"
	}
	for _, w := range strings.Fields(text) {
		if len(line) > 1 && len(line)+1+len(w) > 76 {
			flush()
		}
		line += " " + w
	}
	if len(line) > 1 {
		flush()
	}
	body.AppendUnstructuredTokens(toks)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
