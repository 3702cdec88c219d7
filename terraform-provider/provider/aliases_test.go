package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// The tests of provider aliases run the provider the way Terraform does
// outside tests: the binary, one process per provider configuration.
// Served in-process (ProtoV6ProviderFactories), every configuration would
// share one server, which refuses the second one
// (TestAccProviderAliasesInOneProcessRefused).

var providerBin struct {
	once   sync.Once
	mirror string
	err    error
}

// providerMirror builds terraform-provider-switchboard once per test
// binary, with the race detector when the tests have it, into a
// filesystem mirror (the unpacked layout) that is removed when the tests
// end (TestMain).
func providerMirror(t *testing.T) string {
	t.Helper()
	providerBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-provider-mirror-")
		if err != nil {
			providerBin.err = err
			return
		}
		providerBin.mirror = dir
		bin := filepath.Join(dir, "registry.terraform.io", "switchboard-hq", "switchboard", "0.0.1",
			runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-switchboard_v0.0.1")
		args := []string{"build", "-o", bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/switchboard-hq/switchboard/cmd/terraform-provider-switchboard")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			providerBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if providerBin.err != nil {
		t.Fatal(providerBin.err)
	}
	return providerBin.mirror
}

func glowSearch(name string) glow.SearchRequest { return glow.SearchRequest{Search: name} }

func removeProviderBinary() {
	if providerBin.mirror != "" {
		if err := os.RemoveAll(providerBin.mirror); err != nil {
			fmt.Fprintf(os.Stderr, "removing the provider mirror: %v\n", err)
		}
	}
}

// providerProcesses makes Terraform, for the rest of the test, install the
// built provider from its filesystem mirror and nowhere else, so nothing is
// ever downloaded. A race in the provider stops it, which fails the
// Terraform command; the race runtime's default second of sleep before
// each exit (Terraform starts a process per configuration and command)
// is turned off.
func providerProcesses(t *testing.T) {
	t.Helper()
	mirror := providerMirror(t)
	cfg := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `provider_installation {
  filesystem_mirror {
    path = %q
  }
}
`, mirror), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_CLI_CONFIG_FILE", cfg)
	t.Setenv("GORACE", "halt_on_error=1 atexit_sleep_ms=0")
}

// binarySteps gives every step its configuration as a file, with the
// provider named in its terraform block (requiredProviders) and installed
// by providerProcesses: terraform-plugin-testing runs terraform init on a
// step's own configuration, which modules need, only when it comes from a
// file or directory.
func binarySteps(t *testing.T, steps ...resource.TestStep) []resource.TestStep {
	t.Helper()
	dir := t.TempDir()
	for i := range steps {
		f := filepath.Join(dir, fmt.Sprintf("step%d.tf", i+1))
		if err := os.WriteFile(f, []byte(requiredProviders+steps[i].Config), 0o600); err != nil {
			t.Fatal(err)
		}
		steps[i].Config = ""
		steps[i].ConfigFile = config.StaticFile(f)
	}
	return steps
}

const requiredProviders = `
terraform {
  required_providers {
    switchboard = { source = "switchboard-hq/switchboard" }
  }
}
`

// aliasBlock is a provider block for alias on e, with owner.
func (e *testEnv) aliasBlock(alias, owner string) string {
	return fmt.Sprintf(`
provider "switchboard" {
  alias              = %q
  owner              = %q
  glow_url           = %q
  glow_token         = %q
  gateflow_url       = %q
  gateflow_admin_key = %q
  retry_timeout      = "5s"
}
`, alias, owner, e.url, emulatortest.GlowToken, e.url, emulatortest.AdminKey)
}

// stateFunc is a state check made of a function.
type stateFunc func(*tfjson.State) error

func (f stateFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(req.State)
}

// checkLive is a state check that looks at the emulators, not the state.
func checkLive(f func() error) statecheck.StateCheck {
	return stateFunc(func(*tfjson.State) error { return f() })
}

// stateResources returns the managed resources of every module of s by
// address (statecheck.ExpectKnownValue looks at the root module only).
func stateResources(s *tfjson.State) map[string]*tfjson.StateResource {
	out := map[string]*tfjson.StateResource{}
	if s == nil || s.Values == nil {
		return out
	}
	var walk func(m *tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			if r.Mode == tfjson.ManagedResourceMode {
				out[r.Address] = r
			}
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(s.Values.RootModule)
	return out
}

// expectValue is statecheck.ExpectKnownValue for a resource in any module.
func expectValue(addr string, p tfjsonpath.Path, want knownvalue.Check) statecheck.StateCheck {
	return stateFunc(func(s *tfjson.State) error {
		r, ok := stateResources(s)[addr]
		if !ok {
			return fmt.Errorf("%s not in the state", addr)
		}
		v, err := tfjsonpath.Traverse(r.AttributeValues, p)
		if err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		if err := want.CheckValue(v); err != nil {
			return fmt.Errorf("%s.%s: %w", addr, p, err)
		}
		return nil
	})
}

// expectAddresses checks that the state holds exactly these resources.
func expectAddresses(want ...string) statecheck.StateCheck {
	return stateFunc(func(s *tfjson.State) error {
		var got []string
		for a := range stateResources(s) {
			got = append(got, a)
		}
		slices.Sort(got)
		want = slices.Clone(want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("state holds %q, want %q", got, want)
		}
		return nil
	})
}

// liveProvider is the one Glow provider named name on e and its marker.
func (e *testEnv) liveProvider(name string) (id string, version int64, own objects.Ownership, err error) {
	var found []string
	for p, err := range e.glow.Search(context.Background(), glowSearch(name)) {
		if err != nil {
			return "", 0, own, err
		}
		if p.Name == name {
			found = append(found, p.ID)
			_, own = objects.SplitMarker(p.Values)
			id, version = p.ID, p.Version
		}
	}
	if len(found) != 1 {
		return "", 0, own, fmt.Errorf("%s: %d Glow providers named %q, want 1", e.url, len(found), name)
	}
	return id, version, own, nil
}

// glowNames lists every Glow provider name on e.
func (e *testEnv) glowNames() ([]string, error) {
	var names []string
	for p, err := range e.glow.Search(context.Background(), glowSearch("")) {
		if err != nil {
			return nil, err
		}
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names, nil
}

// gateflowModel is the default_model Gateflow has for openai on e, "" when
// openai is not configured.
func (e *testEnv) gateflowModel() (string, error) {
	p, err := e.gateflow.Get(context.Background(), catalogue.OpenAI)
	if err != nil || !p.Configured {
		return "", err
	}
	m, _ := p.Settings["default_model"].(string)
	return m, nil
}

// checkEmpty fails unless e holds no Glow provider, key or endpoint and no
// configured Gateflow provider: what a destroy must leave (the tests'
// endpoints are all made by Terraform).
func (e *testEnv) checkEmpty() error {
	names, err := e.glowNames()
	if err != nil {
		return err
	}
	keys, err := api.Collect(e.glow.ListKeys(context.Background()))
	if err != nil {
		return err
	}
	eps, err := api.Collect(e.glow.ListEndpoints(context.Background()))
	if err != nil {
		return err
	}
	model, err := e.gateflowModel()
	if err != nil {
		return err
	}
	var left []error
	if len(names) != 0 {
		left = append(left, fmt.Errorf("%s after destroy: Glow providers %q are left", e.url, names))
	}
	if len(keys) != 0 {
		left = append(left, fmt.Errorf("%s after destroy: %d Glow keys are left", e.url, len(keys)))
	}
	if len(eps) != 0 {
		left = append(left, fmt.Errorf("%s after destroy: Glow endpoints %+v are left", e.url, eps))
	}
	if model != "" {
		left = append(left, fmt.Errorf("%s after destroy: the Gateflow openai model is still %q", e.url, model))
	}
	return errors.Join(left...)
}

func aliasesConfig(staging, prod *testEnv, stagingDesc, stagingModel string) string {
	return staging.aliasBlock("staging", "staging") + prod.aliasBlock("prod", "prod") + fmt.Sprintf(`
resource "switchboard_glow_provider" "staging" {
  provider    = switchboard.staging
  name        = "OpenAI"
  description = %q
  endpoints   = ["https://api.openai.com/v1"]
  keys = {
    primary = {
      value_wo         = "sk-staging-alias-secret"
      value_wo_version = 1
    }
  }
}

resource "switchboard_glow_provider" "prod" {
  provider    = switchboard.prod
  name        = "OpenAI"
  description = "prod"
  endpoints   = ["https://api.openai.com/v1"]
  keys = {
    primary = {
      value_wo         = "sk-prod-alias-secret"
      value_wo_version = 1
    }
  }
}

resource "switchboard_gateflow_provider" "staging" {
  provider    = switchboard.staging
  provider_id = "openai"
  enabled     = true
  settings    = { default_model = %q }
  credentials_wo = {
    api_key = "sk-staging-alias-secret"
  }
  credentials_wo_version = 1
}

resource "switchboard_gateflow_provider" "prod" {
  provider    = switchboard.prod
  provider_id = "openai"
  enabled     = true
  settings    = { default_model = "gpt-4o" }
  credentials_wo = {
    api_key = "sk-prod-alias-secret"
  }
  credentials_wo_version = 1
}
`, stagingDesc, stagingModel)
}

// Two provider configurations, staging and prod, each on its own Glow and
// Gateflow: every object lands on its own instance only, a change to
// staging plans nothing on prod, and a destroy empties both.
func TestAccProviderAliases(t *testing.T) {
	providerProcesses(t)
	staging, prod := newTestEnv(t), newTestEnv(t)
	const (
		glowS, glowP = "switchboard_glow_provider.staging", "switchboard_glow_provider.prod"
		gwS, gwP     = "switchboard_gateflow_provider.staging", "switchboard_gateflow_provider.prod"
	)
	var prodVersion int64
	// landed checks that each instance has its own objects and only them.
	landed := func(stagingDesc, stagingModel string) statecheck.StateCheck {
		return checkLive(func() error {
			for _, c := range []struct {
				e           *testEnv
				owner, desc string
				model       string
				// version, when set, is the Glow provider's version that
				// must not change; 0 records it.
				version *int64
			}{
				{staging, "staging", stagingDesc, stagingModel, nil},
				{prod, "prod", "prod", "gpt-4o", &prodVersion},
			} {
				_, v, own, err := c.e.liveProvider("OpenAI")
				if err != nil {
					return err
				}
				if !own.OwnedBy(c.owner) {
					return fmt.Errorf("%s: the provider's marker is %s, want owner %q", c.owner, own.Describe(), c.owner)
				}
				d, err := searchOne(c.e, "OpenAI")
				if err != nil {
					return err
				}
				if d != c.desc {
					return fmt.Errorf("%s Glow has description %q, want %q", c.owner, d, c.desc)
				}
				if m, err := c.e.gateflowModel(); err != nil || m != c.model {
					return fmt.Errorf("%s Gateflow has default_model %q (%v), want %q", c.owner, m, err, c.model)
				}
				if c.version != nil {
					if *c.version != 0 && v != *c.version {
						return fmt.Errorf("prod's Glow provider went from version %d to %d: a staging change reached prod", *c.version, v)
					}
					*c.version = v
				}
			}
			return nil
		})
	}
	resource.Test(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			return errors.Join(staging.checkEmpty(), prod.checkEmpty())
		},
		Steps: binarySteps(t,
			resource.TestStep{
				Config: aliasesConfig(staging, prod, "staging v1", "gpt-4o-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(glowS, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(glowP, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(gwS, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(gwP, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowS, tfjsonpath.New("description"), knownvalue.StringExact("staging v1")),
					statecheck.ExpectKnownValue(glowP, tfjsonpath.New("description"), knownvalue.StringExact("prod")),
					statecheck.ExpectKnownValue(gwS, tfjsonpath.New("settings").AtMapKey("default_model"), knownvalue.StringExact("gpt-4o-mini")),
					statecheck.ExpectKnownValue(gwP, tfjsonpath.New("settings").AtMapKey("default_model"), knownvalue.StringExact("gpt-4o")),
					landed("staging v1", "gpt-4o-mini"),
				},
			},
			resource.TestStep{
				// A change to staging is planned and applied on staging only.
				Config: aliasesConfig(staging, prod, "staging v2", "gpt-4.1-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(glowS, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(gwS, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(glowP, plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction(gwP, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowS, tfjsonpath.New("description"), knownvalue.StringExact("staging v2")),
					landed("staging v2", "gpt-4.1-mini"),
				},
			},
			resource.TestStep{
				Config: aliasesConfig(staging, prod, "staging v2", "gpt-4.1-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		),
	})
}

// searchOne is the description of the one Glow provider named name.
func searchOne(e *testEnv, name string) (string, error) {
	id, _, _, err := e.liveProvider(name)
	if err != nil {
		return "", err
	}
	d, err := e.glow.GetProvider(context.Background(), id)
	if err != nil {
		return "", err
	}
	return d.Provider.Description, nil
}

// Served in-process, both configurations reach one server, which can't
// tell their resources apart (the framework keeps the last configuration):
// it refuses the second one before anything is created, instead of
// applying staging's objects to prod.
func TestAccProviderAliasesInOneProcessRefused(t *testing.T) {
	staging, prod := newTestEnv(t), newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: staging.factories(),
		Steps: []resource.TestStep{{
			Config:      aliasesConfig(staging, prod, "staging v1", "gpt-4o-mini"),
			ExpectError: regexp.MustCompile(`One provider process for two provider configurations`),
		}, {
			// Nothing reached either instance.
			PreConfig: func() {
				if err := errors.Join(staging.checkEmpty(), prod.checkEmpty()); err != nil {
					t.Error(err)
				}
			},
			Config: staging.aliasBlock("staging", "staging"),
		}},
	})
}

func teamModulePath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", "terraform", "environments", "modules", "team"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// teamsConfig calls the team module once per team on the staging alias.
func teamsConfig(t *testing.T, staging *testEnv, teams ...string) string {
	q := make([]string, len(teams))
	for i, team := range teams {
		q[i] = fmt.Sprintf("%q", team)
	}
	return staging.aliasBlock("staging", "staging") + fmt.Sprintf(`
module "team" {
  source   = %q
  for_each = toset([%s])
  providers = {
    switchboard = switchboard.staging
  }
  team    = each.key
  api_key = "sk-team-${each.key}-secret"
}
`, teamModulePath(t), strings.Join(q, ", "))
}

func teamAddr(team, name string) string {
	return fmt.Sprintf(`module.team[%q].switchboard_glow_provider.%s`, team, name)
}

// liveTeams is what Glow holds: each provider's id, version, key ids and
// endpoint URLs, by its name.
func (e *testEnv) liveTeams() (map[string]string, error) {
	out := map[string]string{}
	for p, err := range e.glow.Search(context.Background(), glowSearch("")) {
		if err != nil {
			return nil, err
		}
		d, err := e.glow.GetProvider(context.Background(), p.ID)
		if err != nil {
			return nil, err
		}
		var keys []string
		for _, k := range d.Keys.Current {
			keys = append(keys, k.ID)
		}
		out[p.Name] = fmt.Sprintf("%s v%d keys %v endpoints %v", p.ID, p.Version, keys, endpointURLs(d))
	}
	return out, nil
}

// A module called with for_each over teams, given the staging provider
// configuration: Terraform's module addresses in the plan and the state,
// the ownership marker of that configuration's owner on every provider,
// and removing one team destroys that team's objects, keys and endpoints
// included, and nothing else.
func TestAccModuleForEach(t *testing.T) {
	providerProcesses(t)
	staging := newTestEnv(t)
	var cs map[string]string
	resource.Test(t, resource.TestCase{
		Steps: binarySteps(t,
			resource.TestStep{
				Config: teamsConfig(t, staging, "cs", "math"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(teamAddr("cs", "openai"), plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(teamAddr("cs", "anthropic"), plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(teamAddr("math", "openai"), plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(teamAddr("math", "anthropic"), plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectAddresses(teamAddr("cs", "openai"), teamAddr("cs", "anthropic"), teamAddr("math", "openai"), teamAddr("math", "anthropic")),
					expectValue(teamAddr("cs", "openai"), tfjsonpath.New("name"), knownvalue.StringExact("OpenAI cs")),
					expectValue(teamAddr("math", "openai"), tfjsonpath.New("departments"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("math")})),
					expectValue(teamAddr("math", "anthropic"), tfjsonpath.New("endpoints"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("https://math.anthropic.example/v1")})),
					checkLive(func() error {
						for _, name := range []string{"OpenAI cs", "Anthropic cs", "OpenAI math", "Anthropic math"} {
							_, _, own, err := staging.liveProvider(name)
							if err != nil {
								return err
							}
							// The provider never learns its Terraform address, so
							// the marker records the staging block's owner and
							// an address of its own (switchboard_glow_provider.…),
							// which no CLI address (glow_provider.…) can match.
							if !own.OwnedBy("staging") || !strings.HasPrefix(string(own.Marker.Address), markerAddressPrefix) {
								return fmt.Errorf("%s: marker %s, want owner staging and a %s… address", name, own.Describe(), markerAddressPrefix)
							}
						}
						var err error
						cs, err = staging.liveTeams()
						for name := range cs {
							if !strings.HasSuffix(name, " cs") {
								delete(cs, name)
							}
						}
						return err
					}),
				},
			},
			resource.TestStep{
				// math leaves: exactly its two providers go, with their keys.
				Config: teamsConfig(t, staging, "cs"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(teamAddr("math", "openai"), plancheck.ResourceActionDestroy),
					plancheck.ExpectResourceAction(teamAddr("math", "anthropic"), plancheck.ResourceActionDestroy),
					plancheck.ExpectResourceAction(teamAddr("cs", "openai"), plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction(teamAddr("cs", "anthropic"), plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectAddresses(teamAddr("cs", "openai"), teamAddr("cs", "anthropic")),
					checkLive(func() error {
						got, err := staging.liveTeams()
						if err != nil {
							return err
						}
						if fmt.Sprint(got) != fmt.Sprint(cs) {
							return fmt.Errorf("Glow after math left:\n%v\nwant cs's objects unchanged and nothing else:\n%v", got, cs)
						}
						if err := staging.checkOnlyKeysOf(got); err != nil {
							return err
						}
						// math's endpoints went with its providers; cs's stay.
						eps, err := api.Collect(staging.glow.ListEndpoints(context.Background()))
						if err != nil {
							return err
						}
						var urls []string
						for _, ep := range eps {
							urls = append(urls, ep.URL)
						}
						slices.Sort(urls)
						if want := []string{"https://cs.anthropic.example/v1", "https://cs.openai.example/v1"}; !slices.Equal(urls, want) {
							return fmt.Errorf("endpoints after math left: %q, want %q", urls, want)
						}
						return nil
					}),
				},
			},
			resource.TestStep{
				// The last team leaves; the state is empty and so is Glow.
				// (terraform-plugin-testing can't read a state with
				// modules after the last step, so the test empties it.)
				Config: teamsConfig(t, staging),
				ConfigStateChecks: []statecheck.StateCheck{
					expectAddresses(),
					checkLive(staging.checkEmpty),
				},
			},
		),
	})
}

// checkOnlyKeysOf fails when Glow holds a key no provider of teams uses:
// a destroyed provider's key left behind.
func (e *testEnv) checkOnlyKeysOf(teams map[string]string) error {
	keys, err := api.Collect(e.glow.ListKeys(context.Background()))
	if err != nil {
		return err
	}
	all := fmt.Sprint(teams)
	for _, k := range keys {
		if !strings.Contains(all, k.ID) {
			return fmt.Errorf("key %s (%q) is attached to no provider", k.ID, k.Name)
		}
	}
	return nil
}

// environmentsConfig is the staging/prod pattern: one module, called for
// every team through each environment's provider configuration. Both
// configurations point at glow here, by mistake, with their own owners.
func environmentsConfig(t *testing.T, glow *testEnv, stagingTeams, prodTeams []string) string {
	call := func(env string, teams []string) string {
		q := make([]string, len(teams))
		for i, team := range teams {
			q[i] = fmt.Sprintf("%q", team)
		}
		return fmt.Sprintf(`
module "%[1]s" {
  source   = %[2]q
  for_each = toset([%[3]s])
  providers = {
    switchboard = switchboard.%[1]s
  }
  team    = each.key
  api_key = "sk-%[1]s-${each.key}-secret"
}
`, env, teamModulePath(t), strings.Join(q, ", "))
	}
	return glow.aliasBlock("staging", "staging") + glow.aliasBlock("prod", "prod") + call("staging", stagingTeams) + call("prod", prodTeams)
}

// Staging and prod through one module, with an owner each, pointed at the
// same Glow by mistake: prod's create of a provider staging already has
// is refused on its name, and never takes staging's provider over (it
// carries another owner's marker), nor leaves a key behind; staging's
// objects stay as they were.
func TestAccProviderAliasesSameGlowDistinctOwners(t *testing.T) {
	providerProcesses(t)
	e := newTestEnv(t)
	var before map[string]string
	stagingOnly := environmentsConfig(t, e, []string{"cs"}, nil)
	resource.Test(t, resource.TestCase{
		Steps: binarySteps(t,
			resource.TestStep{
				Config: stagingOnly,
				ConfigStateChecks: []statecheck.StateCheck{
					expectAddresses(`module.staging["cs"].switchboard_glow_provider.openai`, `module.staging["cs"].switchboard_glow_provider.anthropic`),
					checkLive(func() error {
						var err error
						before, err = e.liveTeams()
						return err
					}),
				},
			},
			resource.TestStep{
				Config: environmentsConfig(t, e, []string{"cs"}, []string{"cs"}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(`module.prod["cs"].switchboard_glow_provider.openai`, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(`module.staging["cs"].switchboard_glow_provider.openai`, plancheck.ResourceActionNoop),
				}},
				ExpectError: regexp.MustCompile(`(?s)Creating\s+Glow\s+provider\s+"OpenAI\s+cs".*already\s+taken.*belongs\s+to\s+configuration\s+"staging".*not\s+to\s+this\s+provider\s+block's\s+owner\s+"prod"`),
			},
			resource.TestStep{
				// Staging's providers are untouched and still staging's; prod
				// recorded nothing and left no key in Glow.
				PreConfig: func() {
					got, err := e.liveTeams()
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(got) != fmt.Sprint(before) {
						t.Errorf("Glow after prod's refused creates:\n%v\nwant staging's objects as they were:\n%v", got, before)
					}
					for _, name := range []string{"OpenAI cs", "Anthropic cs"} {
						if _, _, own, err := e.liveProvider(name); err != nil || !own.OwnedBy("staging") {
							t.Errorf("%s: marker %s (%v), want staging's", name, own.Describe(), err)
						}
					}
					if err := e.checkOnlyKeysOf(got); err != nil {
						t.Error(err)
					}
				},
				Config: stagingOnly,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			resource.TestStep{
				Config:            environmentsConfig(t, e, nil, nil),
				ConfigStateChecks: []statecheck.StateCheck{expectAddresses(), checkLive(e.checkEmpty)},
			},
		),
	})
}

// examples/terraform/environments as a user runs it: staging and prod on
// two emulators, every team in both, one team removed, then destroyed.
func TestAccEnvironmentsExample(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real Terraform: skipped under -short; make test runs it")
	}
	providerProcesses(t)
	staging, prod := newTestEnv(t), newTestEnv(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", "terraform", "environments"))); err != nil {
		t.Fatal(err)
	}
	tfBin, err := findTerraform()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		fmt.Sprintf(`TF_VAR_environments={ staging = { glow_url = %q, gateflow_url = %[1]q }, prod = { glow_url = %q, gateflow_url = %[2]q } }`, staging.url, prod.url),
		fmt.Sprintf(`TF_VAR_glow_tokens={ staging = %q, prod = %[1]q }`, emulatortest.GlowToken),
		fmt.Sprintf(`TF_VAR_gateflow_admin_keys={ staging = %q, prod = %[1]q }`, emulatortest.AdminKey),
		"TF_VAR_openai_api_key=sk-environments-example-secret")
	run := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.Command(tfBin, append(args, "-no-color")...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return string(out)
	}
	owned := func(e *testEnv, owner string, want ...string) {
		t.Helper()
		names, err := e.glowNames()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s Glow has %q, want %q", owner, names, want)
		}
		for _, n := range names {
			if _, _, own, err := e.liveProvider(n); err != nil || !own.OwnedBy(owner) {
				t.Errorf("%s: %q has marker %s (%v)", owner, n, own.Describe(), err)
			}
		}
	}
	run(0, "init", "-input=false")
	run(0, "apply", "-auto-approve", "-input=false")
	all := []string{"OpenAI cs", "Anthropic cs", "OpenAI math", "Anthropic math"}
	owned(staging, "staging", all...)
	owned(prod, "prod", all...)
	for e, want := range map[*testEnv]string{staging: "gpt-4o-mini", prod: "gpt-4o"} {
		if m, err := e.gateflowModel(); err != nil || m != want {
			t.Errorf("%s Gateflow default_model %q (%v), want %q", e.url, m, err, want)
		}
	}
	run(0, "plan", "-detailed-exitcode", "-input=false")

	out := run(0, "apply", "-auto-approve", "-input=false", `-var=teams=["cs"]`)
	if !strings.Contains(out, "0 added, 0 changed, 4 destroyed") {
		t.Errorf("removing math:\n%s", out)
	}
	owned(staging, "staging", "OpenAI cs", "Anthropic cs")
	owned(prod, "prod", "OpenAI cs", "Anthropic cs")

	run(0, "destroy", "-auto-approve", "-input=false")
	if err := errors.Join(staging.checkEmpty(), prod.checkEmpty()); err != nil {
		t.Error(err)
	}
	state, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(state), "sk-environments-example-secret") || strings.Contains(string(state), emulatortest.GlowToken) {
		t.Error("a secret is in the state file")
	}
}
