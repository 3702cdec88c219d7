package crud

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Gateflow performs operations on Gateflow providers. Gateflow has no
// versions to guard a write with, so the caller's stale check (updated_at,
// settings) is the only protection against a concurrent change; every write
// here is a merge or a replacement that is safe to repeat.
type Gateflow struct {
	Client *gateflow.Client
}

// GateflowSpec is a Gateflow provider to configure.
type GateflowSpec struct {
	ProviderID  string
	Enabled     bool
	Settings    map[string]any
	Credentials map[string]sensitive.String
}

// GateflowUpdate changes a configured Gateflow provider. Nil fields are left
// as they are.
type GateflowUpdate struct {
	ProviderID string
	// LiveSettings are the settings the caller read, to know which ones to
	// remove.
	LiveSettings map[string]any
	// Settings is the complete desired set: missing ones are removed.
	Settings *map[string]any
	// Credentials replace all credentials at once (Gateflow's semantics).
	Credentials map[string]sensitive.String
	Enabled     *bool

	// Guard makes the update read the provider just before its first write
	// and stop with a *ConflictError when updated_at or
	// credentials_updated_at differ from the expected ones: Gateflow has no
	// versions, so this is how a change made since the plan is not
	// overwritten.
	Guard                        bool
	ExpectedUpdatedAt            *time.Time
	ExpectedCredentialsUpdatedAt *time.Time
}

func gateflowObject(id string) string { return "gateflow provider " + id }

// SettingsPatch is the PATCH body that turns live into desired: changed and
// new settings with their value, settings absent from desired with null.
// Numbers compare as float64, as Gateflow's JSON decodes them.
func SettingsPatch(live, desired map[string]any) (map[string]any, error) {
	l, err := objects.NormalizeSettings(live)
	if err != nil {
		return nil, err
	}
	d, err := objects.NormalizeSettings(desired)
	if err != nil {
		return nil, err
	}
	patch := map[string]any{}
	for k, v := range d {
		if lv, ok := l[k]; !ok || !reflect.DeepEqual(lv, v) {
			patch[k] = desired[k]
		}
	}
	for k := range l {
		if _, ok := d[k]; !ok {
			patch[k] = nil
		}
	}
	return patch, nil
}

// Create configures a provider that is not configured. A lost configure
// answer is resolved by reading the provider: still unconfigured, it is
// configured again; configured, the credentials and settings are sent again
// (both are replays that leave the same state), so that what is live is
// certainly what was asked for. A provider someone configured since it was
// read is a *ConflictError.
func (g *Gateflow) Create(ctx context.Context, spec GateflowSpec) (*gateflow.Provider, error) {
	obj := gateflowObject(spec.ProviderID)
	_, err := g.Client.Configure(ctx, spec.ProviderID, spec.Credentials, spec.Settings)
	switch {
	case err == nil:
	case errors.Is(err, api.ErrConflict):
		return nil, &ConflictError{Object: obj, Detail: "it is configured already", Err: err}
	case errors.Is(err, api.ErrOutcomeUnknown):
		p, gerr := g.Client.Get(ctx, spec.ProviderID)
		if gerr != nil {
			return nil, errors.Join(err, fmt.Errorf("reading the provider to find out: %w", gerr))
		}
		if !p.Configured {
			if _, err := g.Client.Configure(ctx, spec.ProviderID, spec.Credentials, spec.Settings); err != nil {
				return nil, err
			}
			break
		}
		if _, err := g.Client.UpdateCredentials(ctx, spec.ProviderID, spec.Credentials); err != nil {
			return nil, &StepError{Object: obj, Step: "setting credentials after a lost configure answer", Err: err}
		}
		patch, err := SettingsPatch(p.Settings, spec.Settings)
		if err != nil {
			return nil, err
		}
		if len(patch) > 0 {
			if _, err := g.Client.UpdateSettings(ctx, spec.ProviderID, patch); err != nil {
				return nil, &StepError{Object: obj, Step: "setting settings after a lost configure answer", Err: err}
			}
		}
	default:
		return nil, err
	}
	if !spec.Enabled {
		if _, err := g.Client.Disable(ctx, spec.ProviderID); err != nil {
			return nil, &StepError{Object: obj, Step: "disabling", Done: []string{"configured"}, Err: err}
		}
	}
	return g.Client.Get(ctx, spec.ProviderID)
}

// Update changes a configured provider. A provider being disabled is
// disabled first and one being enabled is enabled last, so that traffic
// never reaches a half-changed configuration.
func (g *Gateflow) Update(ctx context.Context, u GateflowUpdate) (*gateflow.Provider, error) {
	w := &gateflowWrites{g: g, u: u, obj: gateflowObject(u.ProviderID)}
	// Each write is conditioned on the entity tag of the read or write
	// before it, so that a writer racing between two of ours makes ours
	// fail instead of being overwritten. A Gateflow that sends no tag gets
	// unconditional writes, guarded by the read alone.
	if u.Guard {
		p, err := g.guard(ctx, u)
		if err != nil {
			return nil, w.fail("reading the provider before writing", err)
		}
		w.etag = p.ETag
	}
	steps := []func(context.Context) error{w.disable, w.setCredentials, w.updateSettings, w.enable}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return g.Client.Get(ctx, u.ProviderID)
}

// gateflowWrites are the writes of one Update, in order: each step does
// nothing when the update does not ask for it, and fails with the steps
// done so far.
type gateflowWrites struct {
	g   *Gateflow
	u   GateflowUpdate
	obj string
	// etag is the entity tag the next write is conditioned on.
	etag string
	// done are the steps that succeeded, for a StepError.
	done []string
}

// fail is the error of a step: a conflict before any write is a plain
// ConflictError, anything after one says what was done.
func (w *gateflowWrites) fail(step string, err error) error {
	if errors.Is(err, api.ErrNotFound) {
		err = &ConflictError{Object: w.obj, Detail: "it is no longer configured", Err: err}
	}
	var ce *ConflictError
	if errors.As(err, &ce) && len(w.done) == 0 {
		return err
	}
	return &StepError{Object: w.obj, Step: step, Done: w.done, Err: err}
}

// resolve handles a failed conditional write. A 412 on a replay after a
// lost answer may be our own write meeting itself: the provider is read
// and accepted, with its tag, when landed says it shows the write.
func (w *gateflowWrites) resolve(ctx context.Context, err error, landed func(*gateflow.Provider) bool) (string, error) {
	if !errors.Is(err, api.ErrPreconditionFailed) {
		return "", err
	}
	if errors.Is(err, api.ErrOutcomeUnknown) && landed != nil {
		if p, gerr := w.g.Client.Get(ctx, w.u.ProviderID); gerr == nil && landed(p) {
			return p.ETag, nil
		}
	}
	return "", &ConflictError{Object: w.obj, Detail: "it was changed while this apply was writing it", Err: err}
}

func (w *gateflowWrites) disable(ctx context.Context) error {
	if w.u.Enabled == nil || *w.u.Enabled {
		return nil
	}
	r, err := w.g.Client.Disable(ctx, w.u.ProviderID, gateflow.IfMatch(w.etag))
	next := ""
	if err == nil {
		next = r.ETag
	} else if next, err = w.resolve(ctx, err, func(p *gateflow.Provider) bool { return p.Status == gateflow.StatusDisabled }); err != nil {
		return w.fail("disabling", err)
	}
	w.etag = nextTag(w.etag, next)
	w.done = append(w.done, "disabled")
	return nil
}

func (w *gateflowWrites) setCredentials(ctx context.Context) error {
	if w.u.Credentials == nil {
		return nil
	}
	r, err := w.g.Client.UpdateCredentials(ctx, w.u.ProviderID, w.u.Credentials, gateflow.IfMatch(w.etag))
	if err != nil {
		// Credentials cannot be read back, so a replayed write that meets
		// a changed precondition stays unknown: the next plan sees from
		// credentials_updated_at whether they arrived.
		if errors.Is(err, api.ErrPreconditionFailed) && errors.Is(err, api.ErrOutcomeUnknown) {
			return w.fail("setting credentials", fmt.Errorf("%w; the answer was lost, so whether they were set is unknown: plan again to see", err))
		}
		_, err = w.resolve(ctx, err, nil)
		return w.fail("setting credentials", err)
	}
	w.etag = nextTag(w.etag, r.ETag)
	w.done = append(w.done, "set credentials")
	return nil
}

func (w *gateflowWrites) updateSettings(ctx context.Context) error {
	if w.u.Settings == nil {
		return nil
	}
	patch, err := SettingsPatch(w.u.LiveSettings, *w.u.Settings)
	if err != nil {
		return w.fail("computing settings", err)
	}
	if len(patch) == 0 {
		return nil
	}
	p, err := w.g.Client.UpdateSettings(ctx, w.u.ProviderID, patch, gateflow.IfMatch(w.etag))
	next := ""
	if err == nil {
		next = p.ETag
	} else if next, err = w.resolve(ctx, err, func(p *gateflow.Provider) bool { return settingsApplied(p.Settings, patch) }); err != nil {
		return w.fail("updating settings", err)
	}
	w.etag = nextTag(w.etag, next)
	w.done = append(w.done, "updated settings")
	return nil
}

func (w *gateflowWrites) enable(ctx context.Context) error {
	if w.u.Enabled == nil || !*w.u.Enabled {
		return nil
	}
	if _, err := w.g.Client.Enable(ctx, w.u.ProviderID, gateflow.IfMatch(w.etag)); err != nil {
		if _, err := w.resolve(ctx, err, func(p *gateflow.Provider) bool { return p.Status == gateflow.StatusActive }); err != nil {
			return w.fail("enabling", err)
		}
	}
	return nil
}

// settingsApplied reports whether live shows every entry of a settings
// patch: its values, and no key the patch removes.
func settingsApplied(live, patch map[string]any) bool {
	l, err := objects.NormalizeSettings(live)
	if err != nil {
		return false
	}
	for k, v := range patch {
		lv, ok := l[k]
		if v == nil {
			if ok {
				return false
			}
			continue
		}
		want, err := objects.NormalizeSettings(map[string]any{k: v})
		if err != nil || !ok || !reflect.DeepEqual(lv, want[k]) {
			return false
		}
	}
	return true
}

// nextTag is the tag to condition the next write on: the answer's, or none
// when the answer had none (a write with a stale tag would fail).
func nextTag(previous, answered string) string {
	if previous == "" {
		return ""
	}
	return answered
}

// guard reads the provider and compares its timestamps with the ones the
// caller read.
func (g *Gateflow) guard(ctx context.Context, u GateflowUpdate) (*gateflow.Provider, error) {
	obj := gateflowObject(u.ProviderID)
	p, err := g.Client.Get(ctx, u.ProviderID)
	if err != nil {
		return nil, err
	}
	if !p.Configured {
		return nil, &ConflictError{Object: obj, Detail: "it is no longer configured"}
	}
	if !objects.SameTime(p.UpdatedAt, u.ExpectedUpdatedAt) {
		return nil, &ConflictError{Object: obj, Detail: fmt.Sprintf("updated_at is %s, the plan read %s", objects.FormatTime(p.UpdatedAt), objects.FormatTime(u.ExpectedUpdatedAt))}
	}
	if !objects.SameTime(p.CredentialsUpdatedAt, u.ExpectedCredentialsUpdatedAt) {
		return nil, &ConflictError{Object: obj, Detail: fmt.Sprintf("credentials_updated_at is %s, the plan read %s", objects.FormatTime(p.CredentialsUpdatedAt), objects.FormatTime(u.ExpectedCredentialsUpdatedAt))}
	}
	return p, nil
}

// Delete removes a provider's configuration. A provider that is already
// unconfigured (404) counts as deleted.
func (g *Gateflow) Delete(ctx context.Context, id string) error {
	err := g.Client.Delete(ctx, id)
	if err != nil && errors.Is(err, api.ErrNotFound) && catalogue.IsProviderID(id) {
		return nil
	}
	return err
}

// Verify tests the connection (apply --verify). A failing test is an error
// naming the provider; it carries Gateflow's message, which never holds a
// credential.
func (g *Gateflow) Verify(ctx context.Context, id string) (*gateflow.TestResult, error) {
	r, err := g.Client.Test(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.TestResult != "success" {
		msg := r.Error
		if msg == "" {
			msg = r.TestResult
		}
		return r, fmt.Errorf("%s: connection test failed: %s", gateflowObject(id), msg)
	}
	return r, nil
}
