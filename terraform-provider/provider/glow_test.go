package provider

import (
	"context"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/secretref"
)

// Keys are named with the CLI's own marker scheme (secretref.KeyName), so the
// CLI's planner sees a Terraform-made key's origin instead of a hand-made
// key.
func TestNewKeyName(t *testing.T) {
	for _, tc := range []struct {
		label   string
		version int64
		want    string
	}{
		{"primary", 1, "primary (terraform:v1)"},
		{"primary", 20240501, "primary (terraform:v20240501)"},
		{"odd (terraform:v1)", 2, "odd (terraform:v1) (terraform:v2)"},
	} {
		k := crud.Key{Label: tc.label, Source: secretref.Source{TerraformVersion: tc.version}}
		if k.Label != tc.label || k.Name() != tc.want {
			t.Errorf("key (%q, %d): label %q, name %q; want %q, %q", tc.label, tc.version, k.Label, k.Name(), tc.label, tc.want)
		}
		label, src, ok := secretref.ParseKeyName(k.Name())
		if !ok || label != tc.label || src != (secretref.Source{TerraformVersion: tc.version}) {
			t.Errorf("ParseKeyName(%q) = %q, %+v, %v", k.Name(), label, src, ok)
		}
	}
}

func TestGlowKeyViews(t *testing.T) {
	got := glowKeyViews([]glow.Key{
		{ID: "k1", Name: "primary (terraform:v3)"},
		{ID: "k2", Name: "cli (vault:secret/x#api_key@v2)"},
		{ID: "k3", Name: "env (env:OPENAI_KEY)"},
		{ID: "k4", Name: "manual"},
		{ID: "k5", Name: "zero (terraform:v0)"},
		{ID: "k6", Name: "negative (terraform:v-1)"},
		{ID: "k7", Name: "nested (terraform:v1) (terraform:v2)"},
	})
	null := types.Int64Null()
	want := []glowKeyView{
		{Label: "cli", Name: "cli (vault:secret/x#api_key@v2)", ID: "k2", Version: null, Source: secretref.Source{VaultPath: "secret/x", VaultKey: "api_key", Version: 2}},
		{Label: "env", Name: "env (env:OPENAI_KEY)", ID: "k3", Version: null, Source: secretref.Source{Env: "OPENAI_KEY"}},
		{Label: "manual", Name: "manual", ID: "k4", Version: null},
		{Label: "negative (terraform:v-1)", Name: "negative (terraform:v-1)", ID: "k6", Version: null},
		{Label: "nested (terraform:v1)", Name: "nested (terraform:v1) (terraform:v2)", ID: "k7", Version: types.Int64Value(2), Source: secretref.Source{TerraformVersion: 2}},
		{Label: "primary", Name: "primary (terraform:v3)", ID: "k1", Version: types.Int64Value(3), Source: secretref.Source{TerraformVersion: 3}},
		{Label: "zero (terraform:v0)", Name: "zero (terraform:v0)", ID: "k5", Version: null},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b types.Int64) bool { return a.Equal(b) })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// A version below 1 has no marker (`terraform:v0` would read back as a key
// made by hand), so it is refused before anything is created.
func TestAccGlowProviderResourceVersionAtLeastOne(t *testing.T) {
	e := newTestEnv(t)
	p := glowParams{description: "d", keyValue: "sk-never-sent"}
	zero, negative := p, p
	negative.keyVersion = -1
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []tfresource.TestStep{
			{
				Config:      e.glowConfig(zero),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)value_wo_version.*must be at least 1, got: 0`),
			},
			{
				Config:      e.glowConfig(negative),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)value_wo_version.*must be at least 1, got: -1`),
			},
		},
	})
}

// State written by version 0 (a list of key blocks) is upgraded to the
// keys map, keyed by label, with nothing read from Glow.
func TestGlowProviderStateUpgradeFromKeyBlocks(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	v0 := `{"id":"p-1","name":"OpenAI","description":"","departments":[],"endpoints":[],"values":{},"version":4,"model_usage_count":0,` +
		`"key":[{"name":"primary","value_wo":null,"value_wo_version":2,"key_id":"k-2"},{"name":"backup","value_wo":null,"value_wo_version":1,"key_id":"k-1"}]}`
	resp, err := srv.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "switchboard_glow_provider", Version: 0, RawState: &tfprotov6.RawState{JSON: []byte(v0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Fatalf("%s: %s", d.Summary, d.Detail)
	}
	var sr resource.SchemaResponse
	NewGlowProviderResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	val, err := resp.UpgradedState.Unmarshal(sr.Schema.Type().TerraformType(ctx))
	if err != nil {
		t.Fatal(err)
	}
	var m GlowProviderResourceModel
	st := tfsdk.State{Schema: sr.Schema, Raw: val}
	if d := st.Get(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
	keys, _ := keysOf(ctx, m.Keys, &diag.Diagnostics{})
	if len(keys) != 2 {
		t.Errorf("upgraded keys: %d keys, want 2: %+v", len(keys), keys)
	}
	if got := keys["primary"].KeyID.ValueString(); got != "k-2" {
		t.Errorf("upgraded keys: primary key_id = %q, want %q", got, "k-2")
	}
	if got := keys["primary"].ValueWOVersion.ValueInt64(); got != 2 {
		t.Errorf("upgraded keys: primary value_wo_version = %d, want 2", got)
	}
	if got := keys["backup"].KeyID.ValueString(); got != "k-1" {
		t.Errorf("upgraded keys: backup key_id = %q, want %q", got, "k-1")
	}
	if !keys["backup"].Vault.IsNull() {
		t.Errorf("upgraded keys: backup vault = %v, want null", keys["backup"].Vault)
	}
	if got := m.Version.ValueInt64(); got != 4 {
		t.Errorf("upgraded model: version = %d, want 4", got)
	}
}
