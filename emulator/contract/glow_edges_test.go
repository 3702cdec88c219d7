package contract

import (
	"fmt"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Every list iterator pages: several pages, nothing twice, nothing missed.
func TestGlowListsPage(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{}, api.WithPageSize(2))
	const n = 7
	var epIn []glow.EndpointInput
	var keyIn []glow.KeyInput
	var pIn []glow.ProviderInput
	for i := range n {
		epIn = append(epIn, glow.EndpointInput{URL: fmt.Sprintf("https://e%d.example", i)})
		keyIn = append(keyIn, glow.KeyInput{Name: fmt.Sprintf("k%d", i), Value: sensitive.New(fmt.Sprintf("v-SEKRIT-%d", i))})
		pIn = append(pIn, glow.ProviderInput{Name: fmt.Sprintf("p%d", i)})
	}
	must(e.glow.CreateEndpoints(ctx, epIn))(t)
	must(e.glow.CreateKeys(ctx, keyIn))(t)
	created := must(e.glow.CreateProviders(ctx, pIn))(t)
	var mIn []glow.ModelInput
	for i := range n {
		mIn = append(mIn, glow.ModelInput{Name: fmt.Sprintf("m%d", i), ProviderID: created[i].ProviderID})
	}
	must(e.glow.CreateModels(ctx, mIn))(t)
	// The drafts create opened are empty and not listed until they stage
	// something.
	for _, c := range created {
		must(e.glow.Draft(ctx, glow.DraftRequest{InputDraftID: c.DraftID, ExpectedVersion: ptr(c.Version), Patch: glow.Patch{Description: ptr("staged")}}))(t)
	}

	check := func(what, op string, list func() []string) {
		t.Helper()
		before := e.ops(op)
		got := list()
		if calls := e.ops(op) - before; calls != (n+1)/2 {
			t.Errorf("%s: %d calls at 2 a page, want %d", what, calls, (n+1)/2)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Errorf("%s: %s twice", what, id)
			}
			seen[id] = true
		}
		if len(seen) != n {
			t.Errorf("%s: %d items, want %d", what, len(seen), n)
		}
	}
	check("endpoints", "glow.endpoint.list", func() []string { return endpointIDs(all(t, e.glow.ListEndpoints(ctx))) })
	check("keys", "glow.key.list", func() []string {
		var out []string
		for _, k := range all(t, e.glow.ListKeys(ctx)) {
			out = append(out, k.ID)
		}
		return out
	})
	check("models", "glow.model.search", func() []string {
		var out []string
		for _, m := range all(t, e.glow.SearchModels(ctx)) {
			out = append(out, m.ID)
		}
		return out
	})
	check("drafts", "glow.provider.drafts", func() []string {
		var out []string
		for _, d := range all(t, e.glow.ListDrafts(ctx)) {
			out = append(out, d.DraftID)
		}
		return out
	})
}

// Edge cases of references, renames and drafts of deleted providers.
func TestGlowReferencesAndRenames(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	p := f.created[1].ProviderID // "OpenAI Backup" in cs

	// A rename onto a name taken in a shared department.
	_, err := e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, Patch: glow.Patch{Name: ptr("Anthropic Prod")}})
	wantErr(t, err, api.ErrConflict, 409, api.CodeNameConflict, "")
	// Unknown references in an update, a bulk patch and a draft.
	_, err = e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, Patch: glow.Patch{EndpointIDs: &[]string{"nope"}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "endpoint_ids[0]")
	_, err = e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{p}}, Patch: glow.Patch{KeyIDs: &[]string{f.keys[0].ID, "nope"}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "patch.key_ids[1]")
	_, err = e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(int64(1)), Patch: glow.Patch{KeyIDs: &[]string{"nope"}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "key_ids[0]")
	// A draft needs the expected version when it names a provider.
	_, err = e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, Patch: glow.Patch{Description: ptr("x")}})
	wantErr(t, err, api.ErrInvalid, 400, "", "expected_version")
	// (A continued draft names its provider, so the client sends no
	// provider_id with input_draft_id; the emulator's refusal of one that
	// is not the draft's is tested over raw HTTP in
	// emulator/glow_drafts_test.go.)

	// Deleting a provider closes its drafts; its models keep the id.
	m := must(e.glow.CreateModels(ctx, []glow.ModelInput{{Name: "orphan", ProviderID: p}}))(t)[0]
	dr := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(int64(1)), Patch: glow.Patch{Description: ptr("doomed")}}))(t)
	must(e.glow.DeleteProviders(ctx, []string{p}))(t)
	_, err = e.glow.Publish(ctx, glow.PublishRequest{DraftID: dr.DraftID, ExpectedVersion: ptr(int64(2))})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	for _, d := range all(t, e.glow.ListDrafts(ctx)) {
		if d.ProviderID == p {
			t.Errorf("draft of a deleted provider listed: %+v", d)
		}
	}
	models := all(t, e.glow.SearchModels(ctx))
	if len(models) != 1 || models[0].ID != m.ID || models[0].ProviderID != p {
		t.Errorf("models after deleting their provider: %+v", models)
	}
	// Its name is free again.
	must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "OpenAI Backup", DepartmentIDs: []string{"cs"}}}))(t)
}

// Gateflow's Delete is replayed after a lost answer; the replay finds the
// provider unconfigured and answers 404, which callers (applier/crud)
// count as deleted.
func TestGateflowDeleteReplay(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	must(e.gw.Configure(ctx, catalogue.Cohere, creds(validConfig[catalogue.Cohere].creds), nil))(t)
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.delete"}})
	err := e.gw.Delete(ctx, catalogue.Cohere)
	if err != nil {
		wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	}
	if n := e.ops("gateflow.providers.delete"); n != 2 {
		t.Errorf("%d delete calls, want 2 (one replay)", n)
	}
	if g := must(e.gw.Get(ctx, catalogue.Cohere))(t); g.Configured {
		t.Errorf("still configured: %+v", g)
	}
	// Settings of the wrong type and missing credentials.
	_, err = e.gw.Configure(ctx, catalogue.Cohere, creds(map[string]string{}), nil)
	wantErr(t, err, api.ErrInvalidCredentials, 422, api.CodeInvalidCredentials, "credentials.api_key")
	_, err = e.gw.Configure(ctx, catalogue.Cohere, creds(map[string]string{"api_key": "co-SEKRIT"}), map[string]any{"timeout_ms": "soon"})
	wantErr(t, err, api.ErrInvalid, 400, "invalid_configuration", "settings.timeout_ms")
	_, err = e.gw.Configure(ctx, catalogue.Cohere, nil, nil)
	if err == nil {
		t.Errorf("configure without credentials succeeded")
	} else {
		record(t, err)
	}
}
