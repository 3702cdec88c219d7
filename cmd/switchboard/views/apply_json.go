package views

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// applyJSON streams one JSON object per line and event, in the shape of
// `terraform apply -json` (docs/apply-json.md).
type applyJSON struct {
	stream *Stream
	now    func() time.Time
	mu     sync.Mutex
	began  bool
	*heartbeat
}

// Event is one line of `apply --json`.
type Event struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Module    string `json:"@module"`
	Timestamp string `json:"@timestamp"`
	Type      string `json:"type"`

	Version    string      `json:"switchboard,omitempty"`
	Change     *Hook       `json:"change,omitempty"`
	Hook       *Hook       `json:"hook,omitempty"`
	Changes    *Changes    `json:"changes,omitempty"`
	Diagnostic *Diagnostic `json:"diagnostic,omitempty"`
}

// Hook is the object an event is about, with Terraform's field names.
type Hook struct {
	Resource       Resource `json:"resource"`
	Action         string   `json:"action"`
	IDKey          string   `json:"id_key,omitempty"`
	IDValue        string   `json:"id_value,omitempty"`
	ElapsedSeconds *float64 `json:"elapsed_seconds,omitempty"`
	// N of Total operations have ended (apply_complete, apply_errored).
	N     int `json:"n,omitempty"`
	Total int `json:"total,omitempty"`
	// Error is a failed operation's or verification's message.
	Error string `json:"error,omitempty"`
}

// Resource is an address and its parts.
type Resource struct {
	Addr         string `json:"addr"`
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name"`
}

// Changes is the summary's counts.
type Changes struct {
	Add        int    `json:"add"`
	Change     int    `json:"change"`
	Remove     int    `json:"remove"`
	Failed     int    `json:"failed"`
	NotStarted int    `json:"not_started"`
	Operation  string `json:"operation"`
}

// Diagnostic is an error or a warning.
type Diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address,omitempty"`
	Range    *Range `json:"range,omitempty"`
}

// Range is where in a file a diagnostic is.
type Range struct {
	Filename string `json:"filename"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

func (v *applyJSON) emit(e Event) {
	if !v.began {
		// The first line says who writes the stream, as Terraform's
		// "version" message does.
		v.began = true
		v.write(Event{Level: "info", Message: "Switchboard " + version.Version, Type: "version", Version: version.Version})
	}
	v.write(e)
}

func (v *applyJSON) write(e Event) { writeEvent(v.stream, v.now(), e) }

func hookOf(op applier.Operation) *Hook {
	return &Hook{Resource: Resource{Addr: op.Address, ResourceType: op.Type, ResourceName: op.Name}, Action: string(op.Action), IDValue: op.ID, IDKey: idKey(op.ID)}
}

func idKey(id string) string {
	if id == "" {
		return ""
	}
	return "id"
}

func seconds(d time.Duration) *float64 {
	s := d.Round(time.Second).Seconds()
	return &s
}

func (v *applyJSON) PlannedChange(op applier.Operation) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.emit(Event{Level: "info", Message: fmt.Sprintf("%s: Plan to %s", op.Address, op.Action), Type: "planned_change", Change: hookOf(op)})
}

func (v *applyJSON) Started(op applier.Operation) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.start(op)
	start, _, _, _ := words(op.Action)
	v.emit(Event{Level: "info", Message: op.Address + ": " + start + idSuffix(op.ID), Type: "apply_start", Hook: hookOf(op)})
}

// progress writes an apply_progress event per operation: a program may
// count them, unlike a person.
func (v *applyJSON) progress(due []beat) {
	for _, b := range due {
		_, still, _, _ := words(b.op.Action)
		h := hookOf(b.op)
		h.ElapsedSeconds = seconds(b.elapsed)
		v.emit(Event{Level: "info", Message: fmt.Sprintf("%s: %s%s [%s elapsed]", b.op.Address, still, idSuffix(b.op.ID), b.elapsed), Type: "apply_progress", Hook: h})
	}
}

func (v *applyJSON) Finished(op applier.Operation, out applier.Outcome) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.end(op)
	_, _, done, failed := words(op.Action)
	h := hookOf(op)
	h.IDValue, h.IDKey = out.ID, idKey(out.ID)
	h.ElapsedSeconds = seconds(out.Elapsed)
	h.N, h.Total = out.N, out.Total
	d := out.Elapsed.Round(time.Second)
	if out.Err != nil {
		h.Error = out.Err.Error()
		v.emit(Event{Level: "error", Message: fmt.Sprintf("%s: %s after %s%s", op.Address, failed, d, idSuffix(out.ID)), Type: "apply_errored", Hook: h})
		return
	}
	v.emit(Event{Level: "info", Message: fmt.Sprintf("%s: %s after %s%s", op.Address, done, d, idSuffix(out.ID)), Type: "apply_complete", Hook: h})
}

func (v *applyJSON) Verified(op applier.Operation, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	h := hookOf(op)
	if err != nil {
		h.Error = err.Error()
		v.emit(Event{Level: "error", Message: fmt.Sprintf("%s: Verification failed: %v", op.Address, err), Type: "verification", Hook: h})
		return
	}
	v.emit(Event{Level: "info", Message: op.Address + ": Verification complete", Type: "verification", Hook: h})
}

func (v *applyJSON) Message(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.emit(Event{Level: "info", Message: msg, Type: "log"})
}

// Summary writes a diagnostic per warning and failure, one for the
// changes not started (counted by kind), then the change_summary.
func (v *applyJSON) Summary(r *applier.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, w := range r.Warnings {
		v.diagnostic(Diagnostic{Severity: "warning", Summary: w})
	}
	for _, a := range r.Addresses {
		switch {
		case a.Status == applier.StatusFailed:
			v.diagnostic(Diagnostic{Severity: "error", Summary: fmt.Sprintf("%s (%s) failed", a.Address, a.Action), Detail: a.Err.Error(), Address: a.Address})
		case a.Status == applier.StatusDone && a.VerifyErr != nil:
			v.diagnostic(Diagnostic{Severity: "error", Summary: fmt.Sprintf("%s (%s) is done, but its verification failed", a.Address, a.Action), Detail: a.VerifyErr.Error(), Address: a.Address})
		}
	}
	notStarted := r.Count(applier.StatusNotStarted)
	if notStarted > 0 {
		v.diagnostic(Diagnostic{Severity: "error", Summary: fmt.Sprintf("%d changes were not started", notStarted),
			Detail: "Not started: " + notStartedByKind(r) + ". Run plan and apply again to complete them."})
	}
	c := &Changes{Add: r.Added, Change: r.Changed, Remove: r.Destroyed, Failed: r.Count(applier.StatusFailed), NotStarted: notStarted, Operation: "apply"}
	msg := fmt.Sprintf("Apply complete! Resources: %d added, %d changed, %d destroyed.", r.Added, r.Changed, r.Destroyed)
	level := "info"
	if r.Err() != nil {
		level = "error"
		msg = fmt.Sprintf("Apply incomplete. Resources: %d added, %d changed, %d destroyed; %d failed, %d not started.", r.Added, r.Changed, r.Destroyed, c.Failed, notStarted)
	}
	v.emit(Event{Level: level, Message: msg, Type: "change_summary", Changes: c})
}

func (v *applyJSON) diagnostic(d Diagnostic) { v.emit(diagnosticEvent(d)) }

func (v *applyJSON) Interrupted() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.emit(Event{Level: "warn", Message: "Interrupt received: waiting for the operations in flight to finish. Press Ctrl-C again to abort them.", Type: "interrupt"})
}

// Error writes the error that ends the command as a diagnostic, so that a
// program reading the stream sees why it ended.
func (v *applyJSON) Error(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.diagnostic(Diagnostic{Severity: "error", Summary: err.Error()})
}

func (v *applyJSON) Diagnostics(diags hcl.Diagnostics) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, d := range diags {
		v.diagnostic(jsonDiagnostic(d))
	}
}

// jsonDiagnostic is a configuration's diagnostic as an event's.
func jsonDiagnostic(d *hcl.Diagnostic) Diagnostic {
	out := Diagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
	if d.Severity == hcl.DiagWarning {
		out.Severity = "warning"
	}
	if d.Subject != nil {
		out.Range = &Range{Filename: d.Subject.Filename, Line: d.Subject.Start.Line, Column: d.Subject.Start.Column}
	}
	return out
}

// diagnosticEvent is the line of a diagnostic, as apply --json writes it.
func diagnosticEvent(d Diagnostic) Event {
	level := "error"
	if d.Severity == "warning" {
		level = "warn"
	}
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	return Event{Level: level, Message: msg, Type: "diagnostic", Diagnostic: &d}
}

// writeEvent writes one event line.
func writeEvent(s *Stream, now time.Time, e Event) {
	e.Module = "switchboard.ui"
	e.Timestamp = now.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = s.Out.Write(append(b, '\n'))
}

// Plan writes nothing: the applier's planned_change events are the plan.
func (v *applyJSON) Plan(*plan.Plan) error { return nil }

func (v *applyJSON) Reviewed(dir, file string) { v.Message(reviewedMessage(dir, file)) }

// Cancelled cannot happen: nobody is asked in a JSON stream.
func (v *applyJSON) Cancelled() {}
