package contract

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/expect"
)

// Everything written through the clients survives a restart on the same
// data directory.
func TestPersistenceAcrossRestart(t *testing.T) {
	t.Parallel()
	cfg := emulator.Config{DataDir: t.TempDir()}
	var w written
	// Each run is a subtest so that its emulator is stopped and its
	// database closed when it ends.
	t.Run("write", func(t *testing.T) { w = writeBeforeRestart(t, start(t, cfg)) })
	if t.Failed() {
		return
	}
	t.Run("read back", func(t *testing.T) {
		e := start(t, cfg)
		glowSurvivedRestart(t, e, w)
		gateflowSurvivedRestart(t, e, w)
		// The audit log persists too: the decrypt before the restart and
		// the one glowSurvivedRestart made.
		p := w.f.created[0].ProviderID
		if a := e.srv.Audit(); len(a) != 2 {
			t.Errorf("audit after restart: %d entries, want 2: %+v", len(a), a)
		} else {
			expect.Fields(t, "audit after restart",
				expect.Eq("a[0].ActorName", a[0].ActorName, actor),
				expect.Eq("a[0].ProviderID", a[0].ProviderID, p),
				expect.Eq("a[0].Success", a[0].Success, true),
				expect.Eq("a[1].ActorName", a[1].ActorName, actor))
		}
	})
}

// written is what the first emulator of TestPersistenceAcrossRestart made
// and read, for the second to compare with.
type written struct {
	f        glowFixture
	versions map[string]int64 // every provider's version
	model    glow.Model
	draft    *glow.DraftResponse
	gwBefore *gateflow.Provider // anthropic, configured
	disabled *gateflow.Provider // elevenlabs, configured then disabled
}

// writeBeforeRestart makes one of each kind of object: the fixture, an
// update, an open draft, a model, a decrypt (audited), a configured and a
// disabled Gateflow provider.
func writeBeforeRestart(t *testing.T, e *env) written {
	t.Helper()
	w := written{f: e.glowFixture(), versions: map[string]int64{}}
	p := w.f.created[0].ProviderID
	must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, Patch: glow.Patch{Description: ptr("persisted")}}))(t)
	w.draft = must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(int64(2)), Patch: glow.Patch{Description: ptr("staged")}}))(t)
	w.model = must(e.glow.CreateModels(ctx, []glow.ModelInput{{Name: "kept", ProviderID: p}}))(t)[0]
	for _, sp := range all2(t, e) {
		w.versions[sp.ID] = sp.Version
	}
	if w.versions[p] != 3 {
		t.Fatalf("version before restart %d, want 3", w.versions[p])
	}
	must(e.glow.Decrypt(ctx, p, w.f.keys[0].ID))(t)

	must(e.gw.Configure(ctx, catalogue.Anthropic, creds(validConfig[catalogue.Anthropic].creds), validConfig[catalogue.Anthropic].settings))(t)
	w.gwBefore = must(e.gw.Get(ctx, catalogue.Anthropic))(t)
	must(e.gw.Configure(ctx, catalogue.ElevenLabs, creds(validConfig[catalogue.ElevenLabs].creds), nil))(t)
	must(e.gw.Disable(ctx, catalogue.ElevenLabs))(t)
	w.disabled = must(e.gw.Get(ctx, catalogue.ElevenLabs))(t)
	return w
}

// glowSurvivedRestart checks every Glow object w made after the restart,
// decrypts once, publishes the open draft and creates a provider.
func glowSurvivedRestart(t *testing.T, e *env, w written) {
	t.Helper()
	got := map[string]int64{}
	for _, sp := range all2(t, e) {
		got[sp.ID] = sp.Version
	}
	if len(got) != len(w.versions) {
		t.Errorf("providers after restart %v, want %v", got, w.versions)
	}
	for id, v := range w.versions {
		if got[id] != v {
			t.Errorf("provider %s: version %d, want %d", id, got[id], v)
		}
	}
	p := w.f.created[0].ProviderID
	d := must(e.glow.GetProvider(ctx, p))(t)
	pr := d.Provider
	expect.Fields(t, "provider after restart",
		expect.Eq("Description", pr.Description, "persisted"),
		expect.Eq("Name", pr.Name, "Anthropic Prod"),
		expect.Eq("DepartmentIDs", pr.DepartmentIDs, []string{"cs", "sales"}),
		expect.Eq("Values[tier]", pr.Values["tier"], "gold"),
		expect.Eq("ModelUsageCount", pr.ModelUsageCount, 1),
		expect.Eq("ModelIDs", pr.ModelIDs, []string{w.model.ID}),
		expect.Eq("current keys", keyIDs(d.Keys.Current), []string{w.f.keys[0].ID}),
		expect.Eq("current endpoints", endpointIDs(d.Endpoints.Current), []string{w.f.eps[1].ID}))
	dec := must(e.glow.Decrypt(ctx, p, w.f.keys[0].ID))(t)
	if dec.Value.Reveal() != keyValue {
		t.Errorf("decrypted value after restart differs")
	}
	if got := endpointIDs(all(t, e.glow.ListEndpoints(ctx))); !sameSet(got, endpointIDs(w.f.eps)) {
		t.Errorf("endpoints after restart %v", got)
	}
	if got := all(t, e.glow.ListKeys(ctx)); len(got) != 2 {
		t.Errorf("keys after restart %+v", got)
	}
	if got := all(t, e.glow.SearchModels(ctx)); len(got) != 1 || got[0].ID != w.model.ID {
		t.Errorf("models after restart %+v", got)
	}
	// The open draft survives and can be published.
	var found bool
	for _, dr := range all(t, e.glow.ListDrafts(ctx)) {
		if dr.DraftID == w.draft.DraftID {
			found = dr.FormState.Description == "staged" && dr.Version == 3
		}
	}
	if !found {
		t.Errorf("draft %s lost in the restart", w.draft.DraftID)
	}
	pub := must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: w.draft.DraftID, ExpectedVersion: ptr(int64(3))}))(t)
	if pub.Version != 4 || pub.Description != "staged" {
		t.Errorf("published after restart: %+v", pub)
	}
	// New writes get fresh ids.
	c := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "after restart"}}))(t)[0]
	if _, taken := w.versions[c.ProviderID]; taken || c.Version != 1 {
		t.Errorf("create after restart: %+v", c)
	}
}

// gateflowSurvivedRestart checks the configured and the disabled Gateflow
// provider after the restart, and rotates the configured one's credentials.
func gateflowSurvivedRestart(t *testing.T, e *env, w written) {
	t.Helper()
	g := must(e.gw.Get(ctx, catalogue.Anthropic))(t)
	expect.Fields(t, "gateflow after restart",
		expect.Eq("Configured", g.Configured, true),
		expect.Eq("Status", g.Status, gateflow.StatusActive),
		expect.Eq[any]("Settings[default_model]", g.Settings["default_model"], "claude"),
		expect.Eq("CredentialsUpdatedAt unchanged", g.CredentialsUpdatedAt.Equal(*w.gwBefore.CredentialsUpdatedAt), true),
		expect.Eq("ConfiguredAt unchanged", g.ConfiguredAt.Equal(*w.gwBefore.ConfiguredAt), true))
	el := must(e.gw.Get(ctx, catalogue.ElevenLabs))(t)
	if el.Status != gateflow.StatusDisabled || el.DisabledAt == nil || !el.DisabledAt.Equal(*w.disabled.DisabledAt) {
		t.Errorf("disabled provider after restart: %+v", el)
	}
	// Credentials are still there (sealed): rotating works and moves the
	// time.
	cr := must(e.gw.UpdateCredentials(ctx, catalogue.Anthropic, creds(map[string]string{"api_key": "sk-ant-rotated-SEKRIT"})))(t)
	if !cr.CredentialsUpdatedAt.After(*w.gwBefore.CredentialsUpdatedAt) {
		t.Errorf("rotation after restart: %+v", cr)
	}
}

// A discarded draft stays discarded, and Gateflow tags are the same after a
// restart: a write guarded by a tag read before it still goes through, and
// one guarded by an older tag still fails.
func TestDiscardAndETagsSurviveRestart(t *testing.T) {
	t.Parallel()
	cfg := emulator.Config{DataDir: t.TempDir()}
	var (
		kept, discarded string
		tags            = map[string]string{}
		stale           string
	)
	t.Run("write", func(t *testing.T) {
		e := start(t, cfg)
		c := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "restarted"}}))(t)[0]
		d := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: c.ProviderID, ExpectedVersion: ptr(c.Version), Patch: glow.Patch{Description: ptr("gone")}}))(t)
		discarded = d.DraftID
		ok(t, e.glow.DiscardDraft(ctx, discarded))
		kept = must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: c.ProviderID, ExpectedVersion: ptr(d.NewVersion), Patch: glow.Patch{Description: ptr("kept")}}))(t).DraftID

		for id, c := range validConfig {
			must(e.gw.Configure(ctx, id, creds(c.creds), c.settings))(t)
		}
		stale = must(e.gw.Get(ctx, catalogue.OpenAI))(t).ETag
		must(e.gw.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"timeout_ms": 5}))(t)
		must(e.gw.Disable(ctx, catalogue.ElevenLabs))(t)
		ok(t, e.gw.Delete(ctx, catalogue.Cohere))
		for _, id := range catalogue.ProviderIDs {
			tags[id] = must(e.gw.Get(ctx, id))(t).ETag
		}
	})
	if t.Failed() {
		return
	}
	t.Run("read back", func(t *testing.T) {
		e := start(t, cfg)
		if got := draftIDs(all(t, e.glow.ListDrafts(ctx))); !slices.Equal(got, []string{kept}) {
			t.Errorf("drafts after restart %v, want only %s", got, kept)
		}
		wantErr(t, e.glow.DiscardDraft(ctx, discarded), api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
		for _, id := range catalogue.ProviderIDs {
			if got := must(e.gw.Get(ctx, id))(t).ETag; got != tags[id] {
				t.Errorf("%s: ETag %s after restart, %s before", id, got, tags[id])
			}
		}
		_, err := e.gw.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"timeout_ms": 6}, gateflow.IfMatch(stale))
		wantErr(t, err, api.ErrPreconditionFailed, 412, api.CodePreconditionFailed, "")
		must(e.gw.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"timeout_ms": 6}, gateflow.IfMatch(tags[catalogue.OpenAI])))(t)
		must(e.gw.Enable(ctx, catalogue.ElevenLabs, gateflow.IfMatch(tags[catalogue.ElevenLabs])))(t)
		must(e.gw.Configure(ctx, catalogue.Cohere, creds(validConfig[catalogue.Cohere].creds), nil, gateflow.IfMatch(tags[catalogue.Cohere])))(t)
	})
}
