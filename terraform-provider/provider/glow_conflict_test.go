package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
)

// interferer is a transport that lets someone else change the provider
// right before Terraform's guarded update, after Terraform has read it:
// the race the expected_version guard exists for.
type interferer struct {
	armed  atomic.Bool
	before func()
}

func (i *interferer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/provider/update" && i.armed.CompareAndSwap(true, false) {
		i.before()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestAccGlowProviderResourceConflict(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	params := glowParams{description: "mine", keyValue: "sk-conflict", keyVersion: 1, values: map[string]string{}}
	changed := params
	changed.description = "mine, changed"

	var providerID string
	it := &interferer{before: func() {
		d, err := e.glow.GetProvider(ctx, providerID)
		if err != nil {
			t.Error(err)
			return
		}
		desc := "theirs"
		if _, err := e.glow.UpdateProvider(ctx, glow.UpdateRequest{
			ProviderID: providerID, ExpectedVersion: &d.Provider.Version, Patch: glow.Patch{Description: &desc},
		}); err != nil {
			t.Error(err)
		}
	}}
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"switchboard": providerserver.NewProtocol6WithError(New("test",
			api.WithHTTPClient(&http.Client{Transport: it}),
			api.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))()),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: e.glowConfig(params),
				Check: func(s *terraform.State) error {
					var err error
					providerID, err = stateAttr(s, glowAddr, "id")
					return err
				},
			},
			{
				PreConfig:   func() { it.armed.Store(true) },
				Config:      e.glowConfig(changed),
				ExpectError: regexp.MustCompile(`(?s)Someone changed this provider since Terraform read it.*Run terraform\s+apply again`),
			},
			{
				// Nothing was overwritten, and the next apply, having read
				// the other change, goes through.
				PreConfig: func() {
					d, err := e.glow.GetProvider(ctx, providerID)
					if err != nil || d.Provider.Description != "theirs" {
						t.Errorf("after the conflict Glow has %+v (%v), want the other writer's description", d, err)
					}
				},
				Config: e.glowConfig(changed),
				Check:  resource.TestCheckResourceAttr(glowAddr, "description", "mine, changed"),
			},
		},
	})
}

// A conflict gives one instruction, not the CLI's "run plan again" next to
// Terraform's "run apply again".
func TestConflictDiagnosticGivesOneInstruction(t *testing.T) {
	var diags diag.Diagnostics
	addAPIError(&diags, "Updating Glow provider \"x\"", &crud.ConflictError{Object: `glow provider "x" (id p-1)`, Detail: "version 3, expected 2"}, nil)
	if len(diags) != 1 {
		t.Fatalf("diagnostics: %v", diags)
	}
	d := diags[0].Detail()
	if strings.Count(d, "terraform apply again") != 1 || strings.Contains(strings.ToLower(d), "plan again") || !strings.Contains(d, "version 3, expected 2") {
		t.Errorf("detail:\n%s", d)
	}
}

// A rename that fails on a name conflict leaves nothing open: crud changes
// providers with one guarded update, never through a draft.
func TestAccGlowProviderNameConflictLeavesNoDraft(t *testing.T) {
	e := newTestEnv(t)
	two := func(second string) string {
		return e.providerBlock() + fmt.Sprintf(`
resource "switchboard_glow_provider" "a" {
  name = "Alpha"
}
resource "switchboard_glow_provider" "b" {
  name = %q
}
`, second)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{Config: two("Beta")},
			{Config: two("Alpha"), ExpectError: regexp.MustCompile(`(?s)Updating Glow provider "Beta"`)},
			{
				PreConfig: func() {
					drafts, err := api.Collect(e.glow.ListDrafts(context.Background()))
					if err != nil || len(drafts) != 0 {
						t.Errorf("drafts after the failed rename: %+v (%v)", drafts, err)
					}
					if ps := e.providersNamed(t, "Beta"); len(ps) != 1 {
						t.Errorf("providers named Beta after the failed rename: %+v", ps)
					}
				},
				Config: two("Beta"),
			},
		},
	})
}
