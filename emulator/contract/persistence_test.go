package contract

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
)

// Everything written through the clients survives a restart on the same
// data directory.
func TestPersistenceAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := emulator.Config{DataDir: dir}

	var (
		f        glowFixture
		versions = map[string]int64{}
		model    glow.Model
		draft    *glow.DraftResponse
		gwBefore *gateflow.Provider
		disabled *gateflow.Provider
	)
	// Each run is a subtest so that its emulator is stopped and its
	// database closed when it ends.
	t.Run("write", func(t *testing.T) {
		e := start(t, cfg)
		f = e.glowFixture()
		p := f.created[0].ProviderID
		must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, Patch: glow.Patch{Description: ptr("persisted")}}))(t)
		draft = must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(int64(2)), Patch: glow.Patch{Description: ptr("staged")}}))(t)
		model = must(e.glow.CreateModels(ctx, []glow.ModelInput{{Name: "kept", ProviderID: p}}))(t)[0]
		for _, sp := range all2(t, e) {
			versions[sp.ID] = sp.Version
		}
		if versions[p] != 3 {
			t.Fatalf("version before restart %d, want 3", versions[p])
		}
		must(e.glow.Decrypt(ctx, p, f.keys[0].ID))(t)

		must(e.gw.Configure(ctx, catalogue.Anthropic, creds(validConfig[catalogue.Anthropic].creds), validConfig[catalogue.Anthropic].settings))(t)
		gwBefore = must(e.gw.Get(ctx, catalogue.Anthropic))(t)
		must(e.gw.Configure(ctx, catalogue.ElevenLabs, creds(validConfig[catalogue.ElevenLabs].creds), nil))(t)
		must(e.gw.Disable(ctx, catalogue.ElevenLabs))(t)
		disabled = must(e.gw.Get(ctx, catalogue.ElevenLabs))(t)
	})
	if t.Failed() {
		return
	}

	t.Run("read back", func(t *testing.T) {
		e := start(t, cfg)
		got := map[string]int64{}
		for _, sp := range all2(t, e) {
			got[sp.ID] = sp.Version
		}
		if len(got) != len(versions) {
			t.Errorf("providers after restart %v, want %v", got, versions)
		}
		for id, v := range versions {
			if got[id] != v {
				t.Errorf("provider %s: version %d, want %d", id, got[id], v)
			}
		}
		p := f.created[0].ProviderID
		d := must(e.glow.GetProvider(ctx, p))(t)
		pr := d.Provider
		if pr.Description != "persisted" {
			t.Errorf("provider after restart: Description = %q, want %q", pr.Description, "persisted")
		}
		if pr.Name != "Anthropic Prod" {
			t.Errorf("provider after restart: Name = %q, want %q", pr.Name, "Anthropic Prod")
		}
		if want := []string{"cs", "sales"}; !slices.Equal(pr.DepartmentIDs, want) {
			t.Errorf("provider after restart: DepartmentIDs = %v, want %v", pr.DepartmentIDs, want)
		}
		if pr.Values["tier"] != "gold" {
			t.Errorf("provider after restart: Values[tier] = %q, want %q", pr.Values["tier"], "gold")
		}
		if pr.ModelUsageCount != 1 {
			t.Errorf("provider after restart: ModelUsageCount = %d, want 1", pr.ModelUsageCount)
		}
		if want := []string{model.ID}; !slices.Equal(pr.ModelIDs, want) {
			t.Errorf("provider after restart: ModelIDs = %v, want %v", pr.ModelIDs, want)
		}
		if len(d.Keys.Current) != 1 {
			t.Errorf("provider after restart: %d current keys, want 1: %+v", len(d.Keys.Current), d.Keys.Current)
		} else if d.Keys.Current[0].ID != f.keys[0].ID {
			t.Errorf("provider after restart: current key %q, want %q", d.Keys.Current[0].ID, f.keys[0].ID)
		}
		if len(d.Endpoints.Current) != 1 {
			t.Errorf("provider after restart: %d current endpoints, want 1: %+v", len(d.Endpoints.Current), d.Endpoints.Current)
		} else if d.Endpoints.Current[0].ID != f.eps[1].ID {
			t.Errorf("provider after restart: current endpoint %q, want %q", d.Endpoints.Current[0].ID, f.eps[1].ID)
		}
		dec := must(e.glow.Decrypt(ctx, p, f.keys[0].ID))(t)
		if dec.Value.Reveal() != keyValue {
			t.Errorf("decrypted value after restart differs")
		}
		if got := endpointIDs(all(t, e.glow.ListEndpoints(ctx))); !sameSet(got, endpointIDs(f.eps)) {
			t.Errorf("endpoints after restart %v", got)
		}
		if got := all(t, e.glow.ListKeys(ctx)); len(got) != 2 {
			t.Errorf("keys after restart %+v", got)
		}
		if got := all(t, e.glow.SearchModels(ctx)); len(got) != 1 || got[0].ID != model.ID {
			t.Errorf("models after restart %+v", got)
		}
		// The open draft survives and can be published.
		var found bool
		for _, dr := range all(t, e.glow.ListDrafts(ctx)) {
			if dr.DraftID == draft.DraftID {
				found = dr.FormState.Description == "staged" && dr.Version == 3
			}
		}
		if !found {
			t.Errorf("draft %s lost in the restart", draft.DraftID)
		}
		pub := must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: draft.DraftID, ExpectedVersion: ptr(int64(3))}))(t)
		if pub.Version != 4 || pub.Description != "staged" {
			t.Errorf("published after restart: %+v", pub)
		}
		// New writes get fresh ids.
		c := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "after restart"}}))(t)[0]
		if _, taken := versions[c.ProviderID]; taken || c.Version != 1 {
			t.Errorf("create after restart: %+v", c)
		}

		g := must(e.gw.Get(ctx, catalogue.Anthropic))(t)
		if !g.Configured {
			t.Errorf("gateflow after restart: Configured = false, want true")
		}
		if g.Status != gateflow.StatusActive {
			t.Errorf("gateflow after restart: Status = %q, want %q", g.Status, gateflow.StatusActive)
		}
		if g.Settings["default_model"] != "claude" {
			t.Errorf("gateflow after restart: Settings[default_model] = %#v, want %q", g.Settings["default_model"], "claude")
		}
		if !g.CredentialsUpdatedAt.Equal(*gwBefore.CredentialsUpdatedAt) {
			t.Errorf("gateflow after restart: CredentialsUpdatedAt = %v, was %v", g.CredentialsUpdatedAt, *gwBefore.CredentialsUpdatedAt)
		}
		if !g.ConfiguredAt.Equal(*gwBefore.ConfiguredAt) {
			t.Errorf("gateflow after restart: ConfiguredAt = %v, was %v", g.ConfiguredAt, *gwBefore.ConfiguredAt)
		}
		el := must(e.gw.Get(ctx, catalogue.ElevenLabs))(t)
		if el.Status != gateflow.StatusDisabled || el.DisabledAt == nil || !el.DisabledAt.Equal(*disabled.DisabledAt) {
			t.Errorf("disabled provider after restart: %+v", el)
		}
		// Credentials are still there (sealed): rotating works and moves
		// the time.
		cr := must(e.gw.UpdateCredentials(ctx, catalogue.Anthropic, creds(map[string]string{"api_key": "sk-ant-rotated-SEKRIT"})))(t)
		if !cr.CredentialsUpdatedAt.After(*gwBefore.CredentialsUpdatedAt) {
			t.Errorf("rotation after restart: %+v", cr)
		}
		// The audit log persists too: the decrypt before the restart and
		// the one after.
		if a := e.srv.Audit(); len(a) != 2 {
			t.Errorf("audit after restart: %d entries, want 2: %+v", len(a), a)
		} else {
			if a[0].ActorName != actor {
				t.Errorf("audit after restart: a[0].ActorName = %q, want %q", a[0].ActorName, actor)
			}
			if a[0].ProviderID != p {
				t.Errorf("audit after restart: a[0].ProviderID = %q, want %q", a[0].ProviderID, p)
			}
			if !a[0].Success {
				t.Errorf("audit after restart: a[0].Success = false, want true")
			}
			if a[1].ActorName != actor {
				t.Errorf("audit after restart: a[1].ActorName = %q, want %q", a[1].ActorName, actor)
			}
		}
	})
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
