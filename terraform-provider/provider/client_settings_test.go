package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// rateLimitedResources is how many Glow providers the rate-limit test
// creates at Terraform's default -parallelism=10, the shape of the run that
// used to leave resources tainted.
const rateLimitedResources = 200

// TestAccRateLimitedApplySucceeds: against a service that takes 30 calls a
// second, 200 resources created at parallelism 10 all succeed and none is
// tainted. The provider's clients wait for each Retry-After together, so
// the limit costs time but no failure.
func TestAccRateLimitedApplySucceeds(t *testing.T) {
	s, url := emulatortest.Start(t, emulator.Config{RateLimit: 30})
	gc, err := glow.New(url, sensitive.New(emulatortest.GlowToken))
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{url: url, server: s, glow: gc}
	config := e.providerBlock() + fmt.Sprintf(`
resource "switchboard_glow_provider" "many" {
  count  = %d
  name   = "rate-limited-${count.index}"
  values = { index = tostring(count.index) }
}
`, rateLimitedResources)
	resource.ParallelTest(t, resource.TestCase{
		// The provider as users get it: default retries and budget.
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"switchboard": providerserver.NewProtocol6WithError(New("test")()),
		},
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				func(st *terraform.State) error {
					n := 0
					for addr, rs := range st.RootModule().Resources {
						if rs.Primary != nil && rs.Primary.Tainted {
							return fmt.Errorf("%s is tainted", addr)
						}
						n++
					}
					if n != rateLimitedResources {
						return fmt.Errorf("%d resources in the state, want %d", n, rateLimitedResources)
					}
					return nil
				},
				func(*terraform.State) error {
					ps, err := api.Collect(gc.Search(context.Background(), glow.SearchRequest{}))
					if err != nil {
						return err
					}
					if len(ps) != rateLimitedResources {
						return fmt.Errorf("%d providers in Glow, want %d", len(ps), rateLimitedResources)
					}
					return nil
				},
			),
		}},
	})
	// Without 429s the test would prove nothing.
	st := s.Stats()
	if st.Faults.RateLimited == 0 {
		t.Errorf("no call was rate limited; stats %+v", st.Faults)
	}
	var calls int64
	for _, c := range st.Operations {
		calls += c
	}
	t.Logf("%d resources: %d API calls, %d answered 429", rateLimitedResources, calls, st.Faults.RateLimited)
}

// userAgents records the User-Agent of every request the provider sends.
type userAgents struct {
	mu   sync.Mutex
	seen map[string]int
	next http.RoundTripper
}

func (u *userAgents) RoundTrip(r *http.Request) (*http.Response, error) {
	u.mu.Lock()
	u.seen[r.UserAgent()]++
	u.mu.Unlock()
	return u.next.RoundTrip(r)
}

// TestAccProviderLogsRequestsWithoutSecrets: at TF_LOG=DEBUG the provider's
// log has a line for every request with its answer and timing, the 429s
// and retries, and the warning about credentials replaced outside
// Terraform; no token, admin key or credential appears in it. Every request
// names the Terraform version in its User-Agent.
func TestAccProviderLogsRequestsWithoutSecrets(t *testing.T) {
	for _, level := range []string{"DEBUG", "TRACE"} {
		t.Run(level, func(t *testing.T) { testProviderLog(t, level) })
	}
}

func testProviderLog(t *testing.T, level string) {
	const (
		glowToken = "glow-LOG-CANARY-token-7731"
		adminKey  = "gw_admin_LOG_CANARY_5521"
		apiKey    = "sk-LOG-CANARY-api-key-0042"
		handKey   = "sk-LOG-CANARY-by-hand-0043"
	)
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	t.Setenv("TF_LOG", level)
	t.Setenv("TF_LOG_PATH", logFile)

	s, url := emulatortest.Start(t, emulator.Config{
		GlowTokens:        []emulator.GlowToken{{Token: glowToken, ActorName: "log-test"}},
		GateflowAdminKeys: []emulator.AdminKey{{Key: adminKey}},
	})
	gw, err := gateflow.New(url, sensitive.New(adminKey))
	if err != nil {
		t.Fatal(err)
	}
	ua := &userAgents{seen: map[string]int{}, next: http.DefaultTransport}
	// The credentials come from the environment: terraform-plugin-testing
	// logs the configuration's text at TRACE, literals included.
	t.Setenv(glow.EnvToken, glowToken)
	t.Setenv(gateflow.EnvAdminKey, adminKey)
	t.Setenv("TF_VAR_openai_api_key", apiKey)
	config := fmt.Sprintf(`
provider "switchboard" {
  glow_url     = %q
  gateflow_url = %q
}

variable "openai_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "switchboard_glow_provider" "logged" {
  name = "logged"
}

resource "switchboard_gateflow_provider" "test" {
  provider_id            = "openai"
  credentials_wo         = { api_key = var.openai_api_key }
  credentials_wo_version = 1
}
`, url, url)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"switchboard": providerserver.NewProtocol6WithError(New("test", api.WithHTTPClient(&http.Client{Transport: ua}))()),
		},
		Steps: []resource.TestStep{
			{
				// One 429 to log.
				PreConfig: func() {
					if err := s.ScriptFaults(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"gateflow.providers.configure"}}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
			},
			{
				PreConfig: func() {
					if _, err := gw.UpdateCredentials(context.Background(), catalogue.OpenAI,
						map[string]sensitive.String{"api_key": sensitive.New(handKey)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate)},
				},
			},
		},
	})

	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	// hclog writes the fields in no fixed order: a line matches when it
	// has all of them.
	wants := [][]string{
		{"[DEBUG]", "HTTP request:", "service=gateflow", `operation="configure provider"`, "method=POST", "path=/providers", "status=429", "duration="},
		{"[DEBUG]", "HTTP rate limited:", "service=gateflow", "retry_after=1s"},
		{"[DEBUG]", "HTTP retry:", `operation="configure provider"`, "status=429", "wait=1.", "retry=1"},
		{"[DEBUG]", "HTTP request:", `operation="configure provider"`, "attempt=2", "status=200", "duration="},
		{"[DEBUG]", "HTTP request:", "service=glow", `operation="create provider"`, "status=200", "tf_rpc=ApplyResourceChange"},
		{"[DEBUG]", "HTTP request:", `operation="update credentials of provider"`, "status=200"},
		{"Response contains warning diagnostic", "Gateflow credentials were replaced outside Terraform"},
	}
	if level == "TRACE" {
		wants = append(wants,
			[]string{"[TRACE]", "HTTP sending request:", `operation="configure provider"`, "user_agent=\"switchboard/", " terraform/"},
			[]string{"[TRACE]", "HTTP answer headers:", "status=429", "retry_after=1"})
	}
	for _, want := range wants {
		if !hasLine(log, want...) {
			t.Errorf("the TF_LOG=%s log has no line with all of %q", level, want)
		}
	}
	for _, secret := range []string{glowToken, adminKey, apiKey, handKey, "Bearer "} {
		if strings.Contains(log, secret) {
			t.Errorf("the TF_LOG=%s log holds %q", level, secret)
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, secret) {
					t.Log(line[:min(len(line), 300)])
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("log (%d bytes), HTTP lines:", len(log))
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, "HTTP ") {
				t.Log(line)
			}
		}
	}

	ua.mu.Lock()
	defer ua.mu.Unlock()
	uaPattern := regexp.MustCompile(`^switchboard/\S+ terraform/\d+\.\d+\.\d+\S*$`)
	for agent, n := range ua.seen {
		if !uaPattern.MatchString(agent) {
			t.Errorf("%d requests with User-Agent %q", n, agent)
		}
	}
	if len(ua.seen) == 0 {
		t.Error("no request was seen")
	}
}

func hasLine(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// TestAccProviderRetrySettings: the provider block's retry and timeout
// arguments are checked at plan time and reach the clients.
func TestAccProviderRetrySettings(t *testing.T) {
	e := newTestEnv(t)
	block := func(settings string) string {
		return fmt.Sprintf(`
provider "switchboard" {
  glow_url           = %q
  glow_token         = %q
  gateflow_url       = %q
  gateflow_admin_key = %q
%s
}

resource "switchboard_glow_provider" "test" {
  name = "retry-settings"
}
`, e.url, emulatortest.GlowToken, e.url, emulatortest.AdminKey, settings)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{
				Config:      block(`  retry_timeout = "soon"`),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Invalid duration.*"soon" is not a duration of 0 or more`),
			},
			{
				Config:      block(`  request_timeout = "0s"`),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Invalid duration.*"0s" is not a positive duration`),
			},
			{
				Config:      block(`  max_retries = 1000`),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)max_retries.*between 0 and 100`),
			},
			{
				// No retries: the one 429 ends the create, and the error
				// says what to raise.
				PreConfig: func() {
					if err := e.server.ScriptFaults(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"glow.provider.create"}}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      block(`  max_retries = 0`),
				ExpectError: wrapped(`(?s)429 rate limited.*max_retries and retry_timeout`),
			},
			{
				// The default retries ride out the same 429.
				PreConfig: func() {
					if err := e.server.ScriptFaults(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"glow.provider.create"}}); err != nil {
						t.Fatal(err)
					}
				},
				Config: block(`  retry_timeout = "30s"
  request_timeout = "10s"`),
				Check: resource.TestCheckResourceAttrSet("switchboard_glow_provider.test", "id"),
			},
		},
	})
}
