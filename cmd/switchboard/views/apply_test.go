package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// fakeClock is a clock the test moves and ticks.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	ticks chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ticks: make(chan time.Time)}
}

func (c *fakeClock) clock() Clock {
	return Clock{Now: func() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }, Ticks: c.ticks}
}

// advance moves the clock and ticks. The heartbeat takes one tick at a
// time, so the second send returns only once the first tick's lines are
// written; a second tick at the same time writes nothing more.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	c.ticks <- now
	c.ticks <- now
}

func testStream() (*Stream, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return NewStream(strings.NewReader(""), &out, &errOut, Terminal{}, nil), &out, &errOut
}

var (
	opA = applier.Operation{Address: "glow_provider.a", Type: "glow_provider", Name: "a", Action: plan.ActionCreate}
	opB = applier.Operation{Address: "gateflow_provider.b", Type: "gateflow_provider", Name: "b", Action: plan.ActionUpdate, ID: "b"}
)

func TestApplyHumanHeartbeatAndNOfTotal(t *testing.T) {
	s, out, _ := testStream()
	c := newFakeClock()
	v := NewApply(s, false, false, c.clock())
	v.PlannedChange(opA)
	v.PlannedChange(opB)
	v.Started(opA)
	c.advance(5 * time.Second)
	v.Started(opB)
	c.advance(5 * time.Second)  // a: 10s
	c.advance(9 * time.Second)  // a: 19s, b: 14s
	c.advance(1 * time.Second)  // a: 20s, b: 15s
	c.advance(10 * time.Second) // a: 30s, b: 25s
	v.Finished(opB, applier.Outcome{ID: "b", Elapsed: 25 * time.Second, N: 1, Total: 2})
	c.advance(10 * time.Second) // a: 40s
	v.Finished(opA, applier.Outcome{ID: "id-a", Elapsed: 40 * time.Second, N: 2, Total: 2})
	c.advance(30 * time.Second) // nothing in flight
	v.Summary(&applier.Result{Added: 1, Changed: 1, Addresses: []applier.AddressResult{{Status: applier.StatusDone}, {Status: applier.StatusDone}}})
	v.Close()
	want := `
glow_provider.a: Creating...
gateflow_provider.b: Modifying... [id=b]
glow_provider.a: Still creating... [10s elapsed]
gateflow_provider.b: Still modifying... [id=b] [10s elapsed]
glow_provider.a: Still creating... [20s elapsed]
glow_provider.a: Still creating... [30s elapsed]
gateflow_provider.b: Still modifying... [id=b] [20s elapsed]
gateflow_provider.b: Modifications complete after 25s [id=b] (1 of 2)
glow_provider.a: Still creating... [40s elapsed]
glow_provider.a: Creation complete after 40s [id=id-a] (2 of 2)

Apply complete! Resources: 1 added, 1 changed, 0 destroyed.
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// interrupted is an apply of 233 changes stopped after one was done and
// one failed.
func interrupted() *applier.Result {
	r := &applier.Result{Added: 1, Stopped: true}
	r.Addresses = append(r.Addresses,
		applier.AddressResult{Address: "glow_provider.done", Action: plan.ActionCreate, Status: applier.StatusDone},
		applier.AddressResult{Address: "glow_provider.bad", Action: plan.ActionCreate, Status: applier.StatusFailed, Err: errors.New("HTTP 500")})
	for i := 0; i < 120; i++ {
		r.Addresses = append(r.Addresses, applier.AddressResult{Address: "glow_provider.p", Action: plan.ActionCreate, Status: applier.StatusNotStarted})
	}
	for i := 0; i < 110; i++ {
		r.Addresses = append(r.Addresses, applier.AddressResult{Address: "gateflow_provider.g", Action: plan.ActionUpdate, Status: applier.StatusNotStarted})
	}
	r.Addresses = append(r.Addresses, applier.AddressResult{Address: "gateflow_provider.x", Action: plan.ActionDelete, Status: applier.StatusNotStarted})
	return r
}

func TestApplyHumanInterruptedSummaryCountsNotStarted(t *testing.T) {
	s, out, errOut := testStream()
	v := NewApply(s, false, false, newFakeClock().clock())
	v.Interrupted()
	v.Summary(interrupted())
	v.Close()
	want := `
Apply incomplete. Resources: 1 added, 0 changed, 0 destroyed; 1 failed, 231 not started.
  glow_provider.bad (create): failed: HTTP 500
  Not started: 1 gateflow_provider delete, 110 gateflow_provider updates, 120 glow_provider creates.

Run plan and apply again to complete the changes that were not made.
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "Interrupt received") {
		t.Errorf("stderr: %q", errOut.String())
	}
}

func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not one JSON object per line: %v: %q", err, line)
		}
		for _, k := range []string{"@level", "@message", "@module", "@timestamp", "type"} {
			if _, ok := e[k]; !ok {
				t.Errorf("%s lacks %s", line, k)
			}
		}
		events = append(events, e)
	}
	return events
}

func types(events []map[string]any) string {
	var ts []string
	for _, e := range events {
		ts = append(ts, e["type"].(string))
	}
	return strings.Join(ts, " ")
}

func TestApplyJSONEventsInOrder(t *testing.T) {
	s, out, errOut := testStream()
	c := newFakeClock()
	v := NewApply(s, true, false, c.clock())
	v.PlannedChange(opA)
	v.PlannedChange(opB)
	v.Started(opA)
	v.Started(opB)
	c.advance(10 * time.Second)
	v.Finished(opA, applier.Outcome{ID: "id-a", Elapsed: 10 * time.Second, N: 1, Total: 2})
	v.Finished(opB, applier.Outcome{ID: "b", Elapsed: 10 * time.Second, Err: errors.New("HTTP 409"), N: 2, Total: 2})
	v.Summary(&applier.Result{Added: 1, Addresses: []applier.AddressResult{
		{Address: opA.Address, Action: opA.Action, Status: applier.StatusDone},
		{Address: opB.Address, Action: opB.Action, Status: applier.StatusFailed, Err: errors.New("HTTP 409")},
	}})
	v.Close()
	if errOut.Len() > 0 {
		t.Errorf("stderr in JSON mode: %q", errOut.String())
	}
	events := decodeLines(t, out.Bytes())
	want := "version planned_change planned_change apply_start apply_start apply_progress apply_progress apply_complete apply_errored diagnostic change_summary"
	if got := types(events); got != want {
		t.Fatalf("types:\n%s\nwant:\n%s", got, want)
	}
	complete := events[7]["hook"].(map[string]any)
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"resource.addr", complete["resource"].(map[string]any)["addr"], "glow_provider.a"},
		{"action", complete["action"], "create"},
		{"id_value", complete["id_value"], "id-a"},
		{"n", complete["n"], 1.0},
		{"total", complete["total"], 2.0},
		{"elapsed_seconds", complete["elapsed_seconds"], 10.0},
	} {
		if f.got != f.want {
			t.Errorf("apply_complete hook.%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if p := events[5]["hook"].(map[string]any); p["elapsed_seconds"] != 10.0 || events[5]["@message"] != "glow_provider.a: Still creating... [10s elapsed]" {
		t.Errorf("apply_progress: %v", events[5])
	}
	if e := events[8]; e["@level"] != "error" || e["hook"].(map[string]any)["error"] != "HTTP 409" {
		t.Errorf("apply_errored: %v", e)
	}
	sum := events[10]
	if ch := sum["changes"].(map[string]any); ch["add"] != 1.0 || ch["failed"] != 1.0 || ch["operation"] != "apply" {
		t.Errorf("change_summary: %v", sum)
	}
	if events[3]["@timestamp"] != "2026-01-02T03:04:05.000000Z" {
		t.Errorf("timestamp %v", events[3]["@timestamp"])
	}
}

func TestApplyJSONInterruptedAndError(t *testing.T) {
	s, out, _ := testStream()
	v := NewApply(s, true, false, newFakeClock().clock())
	v.Interrupted()
	v.Summary(interrupted())
	v.Error(errors.New("the plan is stale"))
	v.Close()
	events := decodeLines(t, out.Bytes())
	if got, want := types(events), "version interrupt diagnostic diagnostic change_summary diagnostic"; got != want {
		t.Fatalf("types %s, want %s", got, want)
	}
	d := events[3]["diagnostic"].(map[string]any)
	if d["summary"] != "231 changes were not started" || !strings.Contains(d["detail"].(string), "120 glow_provider creates") {
		t.Errorf("not started: %v", d)
	}
	if ch := events[4]["changes"].(map[string]any); ch["not_started"] != 231.0 {
		t.Errorf("change_summary %v", ch)
	}
	if d := events[5]["diagnostic"].(map[string]any); d["severity"] != "error" || d["summary"] != "the plan is stale" {
		t.Errorf("error: %v", d)
	}
}

func TestStreamColorAndWidth(t *testing.T) {
	env := map[string]string{}
	s := NewStream(nil, nil, nil, Terminal{Out: true}, func(k string) string { return env[k] })
	if !s.OutColor(false) || s.ErrColor(false) || s.OutColor(true) {
		t.Error("auto: colour on the terminal only, and never with --no-color")
	}
	env["TERM"] = "dumb"
	if s.OutColor(false) {
		t.Error("TERM=dumb")
	}
	env["FORCE_COLOR"] = "1"
	if !s.ErrColor(false) {
		t.Error("FORCE_COLOR")
	}
	env["FORCE_COLOR"] = "0"
	if s.OutColor(false) {
		t.Error("FORCE_COLOR=0 forces nothing")
	}
	s.SetColorMode(ColorAlways)
	if !s.ErrColor(false) || s.ErrColor(true) {
		t.Error("--color=always, unless --no-color")
	}
	if s.Width() != 80 {
		t.Errorf("width %d", s.Width())
	}
	env["COLUMNS"] = "132"
	if s.Width() != 132 {
		t.Errorf("COLUMNS: width %d", s.Width())
	}
	if w := NewStream(nil, nil, nil, Terminal{Width: 100}, nil).Width(); w != 100 {
		t.Errorf("terminal width %d", w)
	}
}

func TestConfirmThroughTheStream(t *testing.T) {
	var out bytes.Buffer
	s := NewStream(strings.NewReader("yes\nno\n"), &out, &out, Terminal{In: true}, nil)
	if ok, err := s.Confirm("Go?", "hint"); !ok || err != nil {
		t.Errorf("yes: %v %v", ok, err)
	}
	if ok, err := s.Confirm("Go?", "hint"); ok || err != nil {
		t.Errorf("no: %v %v", ok, err)
	}
	if !strings.Contains(out.String(), "Go? Only 'yes' will be accepted: ") {
		t.Errorf("prompt %q", out.String())
	}
	s = NewStream(strings.NewReader("yes\n"), &out, &out, Terminal{}, nil)
	if ok, err := s.Confirm("Go?", "use --auto-approve"); ok || err == nil || !strings.Contains(err.Error(), "use --auto-approve") {
		t.Errorf("without a terminal: %v %v", ok, err)
	}
}

func TestApplyHumanHeartbeatOfABatchIsOneLine(t *testing.T) {
	s, out, _ := testStream()
	c := newFakeClock()
	v := NewApply(s, false, false, c.clock())
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		v.Started(applier.Operation{Address: "glow_provider." + n, Type: "glow_provider", Name: n, Action: plan.ActionCreate})
	}
	c.advance(12 * time.Second)
	v.Close()
	if got := strings.Count(out.String(), "Still"); got != 1 || !strings.Contains(out.String(), "Still applying 6 changes... [up to 10s elapsed]") {
		t.Errorf("got:\n%s", out.String())
	}
}
