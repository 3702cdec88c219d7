package contract

import (
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
)

// A patch list that is set but empty empties the list, whether the slice
// behind it is nil (as a diff yields "no keys") or not.
func TestGlowEmptyListsDetach(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	p := f.created[0] // one endpoint, one key, cs+sales

	// The last key goes through draft and publish.
	var noKeys []string
	dr := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p.ProviderID, ExpectedVersion: ptr(p.Version), Patch: glow.Patch{KeyIDs: &noKeys}}))(t)
	if len(dr.FormState.KeyIDs) != 0 || len(dr.FormState.EndpointIDs) != 1 {
		t.Errorf("form state after staging no keys: %+v", dr.FormState)
	}
	pub := must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: dr.DraftID, ExpectedVersion: ptr(dr.NewVersion)}))(t)
	if len(pub.KeyIDs) != 0 {
		t.Errorf("published provider keeps keys %v", pub.KeyIDs)
	}
	d := must(e.glow.GetProvider(ctx, p.ProviderID))(t)
	if len(d.Provider.KeyIDs) != 0 || len(d.Keys.Current) != 0 {
		t.Errorf("provider after removing its last key: %+v / %+v", d.Provider.KeyIDs, d.Keys.Current)
	}
	if len(d.Provider.EndpointIDs) != 1 || d.Provider.Values["tier"] != "gold" {
		t.Errorf("fields left out of the patch changed: %+v", d.Provider)
	}
	// The key is no longer the provider's to decrypt, and free to delete.
	_, err := e.glow.Decrypt(ctx, p.ProviderID, f.keys[0].ID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "key_id")
	if res := must(e.glow.DeleteKeys(ctx, []string{f.keys[0].ID}))(t); len(res) != 1 || !res[0].Success {
		t.Errorf("deleting the detached key: %+v", res)
	}

	// The same through a direct update, a bulk update and a continued
	// draft, for the other lists.
	var none []string
	up := must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p.ProviderID, Patch: glow.Patch{EndpointIDs: &none}}))(t)
	if len(up.EndpointIDs) != 0 {
		t.Errorf("endpoints after update with none: %v", up.EndpointIDs)
	}
	global := f.created[2]
	must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: global.ProviderID, Patch: glow.Patch{EndpointIDs: &[]string{f.eps[0].ID}}}))(t)
	res := must(e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{global.ProviderID}}, Patch: glow.Patch{EndpointIDs: &none}}))(t)
	if len(res) != 1 || !res[0].Success {
		t.Fatalf("bulk update: %+v", res)
	}
	if got := must(e.glow.GetProvider(ctx, global.ProviderID))(t).Provider; len(got.EndpointIDs) != 0 {
		t.Errorf("endpoints after bulk update with none: %v", got.EndpointIDs)
	}
	var noValues map[string]string
	v := must(e.glow.GetProvider(ctx, p.ProviderID))(t).Provider.Version
	d1 := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p.ProviderID, ExpectedVersion: ptr(v), Patch: glow.Patch{Description: ptr("x")}}))(t)
	d2 := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p.ProviderID, InputDraftID: d1.DraftID, ExpectedVersion: ptr(d1.NewVersion),
		Patch: glow.Patch{DepartmentIDs: &[]string{"cs"}, Values: &noValues}}))(t)
	pub = must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: d2.DraftID, ExpectedVersion: ptr(d2.NewVersion)}))(t)
	if len(pub.Values) != 0 || pub.Description != "x" {
		t.Errorf("published after emptying values: %+v", pub)
	}
}
