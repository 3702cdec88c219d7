package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// counter is a transport that counts Glow requests by path and can act on
// one path once, right after the server answered it.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
	// after, when set, runs once for the first request to its path; it gets
	// the answer and returns what the client sees instead.
	afterPath string
	after     func(*http.Response) (*http.Response, error)
	fired     atomic.Bool
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[req.URL.Path]++
	c.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && c.after != nil && req.URL.Path == c.afterPath && c.fired.CompareAndSwap(false, true) {
		return c.after(resp)
	}
	return resp, err
}

func (c *counter) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[path]
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[string]int{}
}

// cancelServer wraps the provider server so that a test can cancel the
// context of the apply in flight, as Terraform does when it is
// interrupted (Ctrl-C sends StopProvider, which cancels every call).
type cancelServer struct {
	tfprotov6.ProviderServer
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (s *cancelServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	return s.ProviderServer.ApplyResourceChange(ctx, req)
}

func (s *cancelServer) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
}

func factoriesWith(rt http.RoundTripper, wrap func(tfprotov6.ProviderServer) tfprotov6.ProviderServer) map[string]func() (tfprotov6.ProviderServer, error) {
	p := New("test", api.WithHTTPClient(&http.Client{Transport: rt}), api.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))()
	return map[string]func() (tfprotov6.ProviderServer, error){
		"switchboard": func() (tfprotov6.ProviderServer, error) {
			s, err := providerserver.NewProtocol6WithError(p)()
			if err != nil || wrap == nil {
				return s, err
			}
			return wrap(s), nil
		},
	}
}

func (e *testEnv) providersNamed(t *testing.T, name string) []glow.Provider {
	t.Helper()
	var out []glow.Provider
	for p, err := range e.glow.Search(context.Background(), glow.SearchRequest{Search: name}) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

func wantOneProvider(e *testEnv, t *testing.T, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if ps := e.providersNamed(t, name); len(ps) != 1 {
			return fmt.Errorf("%d Glow providers named %q, want 1: %+v", len(ps), name, ps)
		}
		return nil
	}
}

// Reordering keys (they are keyed by label) plans nothing.
func TestAccGlowProviderKeyOrder(t *testing.T) {
	e := newTestEnv(t)
	cfg := func(first, second string) string {
		return e.providerBlock() + fmt.Sprintf(`
resource "switchboard_glow_provider" "test" {
  name = "Ordered"
  keys = {
    %s = { value_wo = "sk-%[1]s", value_wo_version = 1 }
    %s = { value_wo = "sk-%[2]s", value_wo_version = 1 }
  }
}
`, first, second)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{
				Config: cfg("alpha", "beta"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowAddr, tfjsonpath.New("keys").AtMapKey("alpha").AtMapKey("value_wo_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(glowAddr, tfjsonpath.New("keys").AtMapKey("beta").AtMapKey("value_wo"), knownvalue.Null()),
				},
			},
			{
				Config: cfg("beta", "alpha"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// Removing the last key detaches it live, and the plan afterwards is
// empty.
func TestAccGlowProviderLastKeyRemoved(t *testing.T) {
	e := newTestEnv(t)
	with := glowParams{description: "d", keyValue: "sk-last", keyVersion: 1, values: map[string]string{}}
	without := e.providerBlock() + `
resource "switchboard_glow_provider" "test" {
  name        = "OpenAI Production"
  description = "d"
}
`
	var keyID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{Config: e.glowConfig(with), Check: e.checkGlowKey(with.keyValue, &keyID)},
			{
				Config: without,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowAddr, tfjsonpath.New("keys"), knownvalue.Null()),
				},
				Check: func(s *terraform.State) error {
					id, _ := stateAttr(s, glowAddr, "id")
					d, err := e.glow.GetProvider(context.Background(), id)
					if err != nil {
						return err
					}
					if len(d.Keys.Current) != 0 || len(d.Provider.KeyIDs) != 0 {
						return fmt.Errorf("keys still attached: %+v", d.Keys.Current)
					}
					keys, err := api.Collect(e.glow.ListKeys(context.Background()))
					if err != nil {
						return err
					}
					for _, k := range keys {
						if k.ID == keyID {
							return fmt.Errorf("detached key %s was not deleted", keyID)
						}
					}
					return nil
				},
			},
		},
	})
}

// Everything that can be checked without Glow is refused at plan time,
// before anything is created.
func TestAccGlowProviderPlanValidation(t *testing.T) {
	e := newTestEnv(t)
	res := func(body string) string {
		return e.providerBlock() + `
resource "switchboard_glow_provider" "test" {
  name = "Validated"
` + body + `
}
`
	}
	steps := []resource.TestStep{
		{Config: res(`endpoints = ["ftp://files.example.com"]`), ExpectError: regexp.MustCompile(`(?s)Invalid endpoint URL.*"ftp://files.example.com" is not an absolute http or https URL`)},
		{Config: res(`endpoints = ["api.openai.com/v1"]`), ExpectError: regexp.MustCompile(`Invalid endpoint URL`)},
		{Config: res(`departments = ["research", ""]`), ExpectError: regexp.MustCompile(`(?s)departments.*string length must be at least 1`)},
		{Config: res(`keys = { primary = { value_wo = "", value_wo_version = 1 } }`), ExpectError: regexp.MustCompile(`(?s)value_wo.*string length must be at least 1`)},
		{Config: res(`keys = { primary = { value_wo = "sk-x" } }`), ExpectError: regexp.MustCompile(`Missing value_wo_version`)},
		{Config: res(`keys = { primary = {} }`), ExpectError: regexp.MustCompile(`(?s)Key without a value.*Set exactly one`)},
		{Config: res(`keys = { primary = { vault = { path = "secret/x", key = "k" }, value_wo = "v", value_wo_version = 1 } }`), ExpectError: regexp.MustCompile(`Key with two values`)},
		{Config: res(`values = { "switchboard.owner" = "me" }`), ExpectError: regexp.MustCompile(`Reserved value key`)},
		{
			// No Glow URL anywhere: said at plan, not at apply.
			Config: fmt.Sprintf(`
provider "switchboard" {
  gateflow_url       = %q
  gateflow_admin_key = %q
}
resource "switchboard_glow_provider" "test" {
  name = "Nowhere"
}
`, e.url, emulatortest.AdminKey),
			ExpectError: regexp.MustCompile(`(?s)Glow is not configured.*glow_url`),
		},
		{
			// A Vault reference without a Vault.
			Config:      res(`keys = { primary = { vault = { path = "secret/x", key = "k" } } }`),
			ExpectError: regexp.MustCompile(`(?s)Reading Vault metadata for key primary.*no Vault is configured`),
		},
	}
	for i := range steps {
		steps[i].PlanOnly = true
	}
	t.Setenv("VAULT_ADDR", "") // the last step needs no Vault at all
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: e.factories(), Steps: steps})
	if ps, err := api.Collect(e.glow.Search(context.Background(), glow.SearchRequest{})); err != nil || len(ps) != 0 {
		t.Errorf("validation failures created providers: %+v (%v)", ps, err)
	}
}

// Providers created in parallel that share an endpoint URL share one
// endpoint, and changes that touch no endpoint never list them.
func TestAccGlowProviderSharedEndpoint(t *testing.T) {
	e := newTestEnv(t)
	c := &counter{}
	const url = "https://shared.example.com/v1"
	cfg := func(desc string) string {
		return fmt.Sprintf(`
provider "switchboard" {
  glow_url   = %q
  glow_token = %q
}
resource "switchboard_glow_provider" "test" {
  count       = 10
  name        = "Shared ${count.index}"
  description = %q
  endpoints   = [%q]
}
`, e.url, emulatortest.GlowToken, desc, url)
	}
	endpoints := func() error {
		eps, err := api.Collect(e.glow.ListEndpoints(context.Background()))
		if err != nil {
			return err
		}
		n := 0
		for _, ep := range eps {
			if ep.URL == url {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%d endpoints with URL %s, want 1: %+v", n, url, eps)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesWith(c, nil),
		Steps: []resource.TestStep{
			{
				Config: cfg("one"),
				Check: func(*terraform.State) error {
					if n := c.count("/endpoint/create"); n != 1 {
						return fmt.Errorf("%d endpoint creates, want 1", n)
					}
					return endpoints()
				},
			},
			{
				PreConfig: c.reset,
				Config:    cfg("two"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("switchboard_glow_provider.test[3]", plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					if n := c.count("/endpoint/list"); n != 0 {
						return fmt.Errorf("updates that change no endpoint listed endpoints %d times", n)
					}
					if n := c.count("/provider/update"); n != 10 {
						return fmt.Errorf("%d updates, want 10", n)
					}
					return endpoints()
				},
			},
		},
	})
}

// An apply interrupted while the create is in flight still records the
// provider: the create is finished and read back with a context that the
// interrupt does not cancel, and a lost create answer is resolved through
// the ownership marker the create wrote.
func TestAccGlowProviderCreateInterrupted(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("answer_lost=%v", lost), func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			var srv *cancelServer
			c := &counter{afterPath: "/provider/create"}
			c.after = func(resp *http.Response) (*http.Response, error) {
				srv.interrupt()
				if lost {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					return nil, errors.New("connection reset by peer")
				}
				return resp, nil
			}
			factories := factoriesWith(c, func(s tfprotov6.ProviderServer) tfprotov6.ProviderServer {
				srv = &cancelServer{ProviderServer: s}
				return srv
			})
			p := glowParams{description: "d", keyValue: "sk-interrupted", keyVersion: 1, values: map[string]string{}}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories,
				Steps: []resource.TestStep{{
					Config: e.glowConfig(p),
					ConfigPlanChecks: resource.ConfigPlanChecks{
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					Check: resource.ComposeAggregateTestCheckFunc(
						func(*terraform.State) error {
							if !c.fired.Load() {
								return errors.New("the create was never interrupted")
							}
							return nil
						},
						wantOneProvider(e, t, "OpenAI Production"),
						e.checkGlowKey(p.keyValue, nil),
					),
				}},
			})
		})
	}
}

// A provider that an interrupted create left outside the state (it carries
// this owner's marker) is taken over by the next apply instead of failing
// on its name; one made by hand is not.
func TestAccGlowProviderLeftBehindTakenOver(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	keys, err := e.glow.CreateKeys(ctx, []glow.KeyInput{{Name: "primary (terraform:v1)", Value: sensitive.New("sk-left")}})
	if err != nil {
		t.Fatal(err)
	}
	marker := objects.OwnerMarker{Owner: DefaultOwner, Address: markerAddressPrefix + "new-0123456789abcdef"}
	created, err := e.glow.CreateProviders(ctx, []glow.ProviderInput{{
		Name: "OpenAI Production", Description: "d", KeyIDs: []string{keys[0].ID},
		Values: objects.WithMarker(nil, marker),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "Made by hand"}}); err != nil {
		t.Fatal(err)
	}
	p := glowParams{description: "d", keyValue: "sk-left", keyVersion: 1, values: map[string]string{"region": "eu"}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{
				Config: e.glowConfig(p),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowAddr, tfjsonpath.New("id"), knownvalue.StringExact(created[0].ProviderID)),
					statecheck.ExpectKnownValue(glowAddr, tfjsonpath.New("keys").AtMapKey("primary").AtMapKey("key_id"), knownvalue.StringExact(keys[0].ID)),
					statecheck.ExpectKnownValue(glowAddr, tfjsonpath.New("values"), knownvalue.MapExact(map[string]knownvalue.Check{"region": knownvalue.StringExact("eu")})),
				},
				Check: wantOneProvider(e, t, "OpenAI Production"),
			},
			{
				Config: e.providerBlock() + `
resource "switchboard_glow_provider" "hand" {
  name = "Made by hand"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Creating Glow provider "Made by hand"`),
			},
		},
	})
}

// A department-scoped token that can no longer see a provider (an admin
// moved it out of the token's departments) stops the refresh with an error
// naming the provider, instead of dropping it from the state and creating a
// duplicate on the next apply.
func TestAccGlowProviderScopedTokenLosesSight(t *testing.T) {
	const scoped = "glow-scoped-token"
	s, url := emulatortest.Start(t, emulator.Config{GlowTokens: []emulator.GlowToken{
		{Token: emulatortest.GlowToken, ActorName: "admin"},
		{Token: scoped, ActorName: "research-bot", Departments: []string{"research"}},
	}})
	admin, err := glow.New(url, sensitive.New(emulatortest.GlowToken), api.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{url: url, server: s, glow: admin}
	cfg := fmt.Sprintf(`
provider "switchboard" {
  glow_url   = %q
  glow_token = %q
}
resource "switchboard_glow_provider" "test" {
  name        = "Research only"
  departments = ["research"]
}
`, url, scoped)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{Config: cfg, Check: func(s *terraform.State) (err error) { id, err = stateAttr(s, glowAddr, "id"); return err }},
			{
				PreConfig: func() {
					d, err := admin.GetProvider(context.Background(), id)
					if err != nil {
						t.Fatal(err)
					}
					deps := []string{"support"}
					if _, err := admin.UpdateProvider(context.Background(), glow.UpdateRequest{
						ProviderID: id, ExpectedVersion: &d.Provider.Version, Patch: glow.Patch{DepartmentIDs: &deps},
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)Glow provider not visible to this token.*Glow provider [0-9a-f-]{36} is no longer visible to\s+this\s+department-scoped\s+token\s+\(departments\s+research\).*terraform\s+state\s+rm`),
			},
			{
				// Nothing was created in the meantime.
				PreConfig: func() {
					if ps := e.providersNamed(t, "Research only"); len(ps) != 1 {
						t.Errorf("%d providers named %q, want the one moved away", len(ps), "Research only")
					}
				},
				Config:      cfg,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Glow provider not visible to this token`),
			},
		},
	})
}

// Glow providers import by name, with an import block, and a configuration
// generated by terraform plan -generate-config-out plans without changes
// (the write-only value is not needed while the key stays).
func TestAccGlowProviderImportByName(t *testing.T) {
	e := newTestEnv(t)
	p := glowParams{description: "imported", departments: []string{"research"}, endpoints: []string{"https://api.openai.com/v1"},
		values: map[string]string{"region": "us"}, keyValue: "sk-import", keyVersion: 3}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{Config: e.glowConfig(p)},
			{
				ResourceName:    glowAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "OpenAI Production",
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionNoop)},
				},
			},
			{
				Config:          e.providerBlock(),
				ResourceName:    glowAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "OpenAI Production",
				GenerateConfig:  true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("switchboard_glow_provider.generated", plancheck.ResourceActionNoop)},
				},
			},
		},
	})
}
