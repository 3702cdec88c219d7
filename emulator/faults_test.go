package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

func TestScriptedFaults(t *testing.T) {
	s, g, gw := start(t, emulator.Config{})
	admin := g.as("")
	r := admin.post("/_emulator/faults", `{"fail_next":1,"status":502,"rate_limit_next":1,"drop_next":1,"only_ops":["glow.provider.create"]}`).want(200)
	if r.num("fail_next") != 1 {
		t.Fatalf("faults answer: %s", r.raw)
	}
	// Other operations are not affected.
	g.post("/provider/search", `{}`).want(200)
	gw.do("GET", gp, "").want(200)

	rl := g.post("/provider/create", `{"providers":[{"name":"A"}]}`).wantError(429, "rate_limited", "")
	if rl.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", rl.header.Get("Retry-After"))
	}
	g.post("/provider/create", `{"providers":[{"name":"A"}]}`).wantError(502, "unavailable", "")
	if n := g.post("/provider/search", `{}`).num("total_count"); n != 0 {
		t.Fatalf("a failed call was processed: %d providers", n)
	}

	// The dropped call is processed, but the client gets no answer.
	req, _ := http.NewRequest("POST", g.base+"/provider/create", strings.NewReader(`{"providers":[{"name":"Dropped"}]}`))
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped call answered %d", resp.StatusCode)
	}
	if n := g.post("/provider/search", `{"search":"Dropped"}`).num("total_count"); n != 1 {
		t.Fatalf("the dropped call was not processed: %d", n)
	}
	g.post("/provider/create", `{"providers":[{"name":"B"}]}`).want(200) // script used up

	st := s.Stats()
	if st.Operations["glow.provider.create"] != 4 || st.Operations["glow.provider.search"] != 3 || st.Operations["gateflow.providers.list"] != 1 {
		t.Errorf("operations %v", st.Operations)
	}
	if st.Faults != (emulator.FaultCounts{Failed: 1, RateLimited: 1, Dropped: 1}) {
		t.Errorf("faults %+v", st.Faults)
	}
	hs := admin.do("GET", "/_emulator/stats", "").want(200)
	if hs.num("operations", "glow.provider.create") != 4 || hs.num("faults", "dropped") != 1 {
		t.Errorf("stats endpoint: %s", hs.raw)
	}
	hs.hasFields(hs.body, "operations", "decrypts", "faults")

	admin.post("/_emulator/faults", `{"fail_next":1,"status":500}`).wantError(400, "invalid_field", "status")
	if err := s.ScriptFaults(emulator.FaultScript{FailNext: 2}); err != nil {
		t.Fatal(err)
	}
	gw.do("GET", gp, "").wantError(503, "unavailable", "")
	gw.do("GET", gp+"/openai", "").wantError(503, "unavailable", "")
	gw.do("GET", gp, "").want(200)
	// The emulator's own endpoints are never faulted.
	_ = s.ScriptFaults(emulator.FaultScript{FailNext: 5})
	admin.do("GET", "/_emulator/stats", "").want(200)
	admin.do("GET", "/_emulator/audit", "").want(200)
}

func TestRandomFaults(t *testing.T) {
	// FailRate 1 fails every call; the emulator endpoints still answer.
	_, g, _ := start(t, emulator.Config{FailRate: 1})
	g.post("/provider/create", `{"providers":[{"name":"A"}]}`).wantError(503, "unavailable", "")
	g.as("").do("GET", "/_emulator/stats", "").want(200)

	// Same seed, same decisions.
	outcomes := func() string {
		_, g, _ := start(t, emulator.Config{FailRate: 0.5, FaultSeed: 42})
		var b strings.Builder
		for range 40 {
			b.WriteString(map[bool]string{true: "x", false: "."}[g.post("/provider/search", `{}`).status == 503])
		}
		return b.String()
	}
	a, b := outcomes(), outcomes()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("outcomes %s and %s", a, b)
	}

	// DropRate 1 processes every call and answers none.
	s, base := emulatortest.Start(t, emulator.Config{DropRate: 1})
	req, _ := http.NewRequest("POST", base+"/provider/create", strings.NewReader(`{"providers":[{"name":"A"}]}`))
	req.Header.Set("Authorization", "Bearer "+emulatortest.GlowToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d", resp.StatusCode)
	}
	if s.Stats().Faults.Dropped != 1 {
		t.Errorf("stats %+v", s.Stats())
	}
}

func TestRateLimit(t *testing.T) {
	// One call per ten seconds (a burst of one): the second in a row is 429.
	_, g, _ := start(t, emulator.Config{RateLimit: 0.1})
	g.post("/provider/search", `{}`).want(200)
	r := g.post("/provider/search", `{}`).wantError(429, "rate_limited", "")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

func TestLatency(t *testing.T) {
	_, g, _ := start(t, emulator.Config{Latency: 150 * time.Millisecond})
	begin := time.Now()
	g.post("/provider/search", `{}`).want(200)
	if d := time.Since(begin); d < 150*time.Millisecond {
		t.Errorf("answered in %v", d)
	}
	begin = time.Now()
	g.as("").do("GET", "/_emulator/stats", "").want(200)
	if d := time.Since(begin); d >= 150*time.Millisecond {
		t.Errorf("emulator endpoint delayed %v", d)
	}
}
