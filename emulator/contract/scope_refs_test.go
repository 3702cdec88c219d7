package contract

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// mathValue is the key value of the math department; a cs token must never
// read it.
const mathValue = "sk-MATH-SEKRIT-0042"

// mathWorld is what the math token made (a provider with an endpoint, a key
// and a model, plus a key and an endpoint attached to nothing), an
// unattached key and endpoint of the unscoped token, and a provider of the
// cs token with its own endpoint and key.
type mathWorld struct {
	provider      glow.Created
	ep, spareEp   glow.Endpoint
	key, spareKey glow.Key
	model         glow.Model
	adminKey      glow.Key // unscoped, unattached: created by the unscoped token
	adminEp       glow.Endpoint
	// The cs token's own provider, endpoint and key.
	csProvider glow.Created
	csEp       glow.Endpoint
	csKey      glow.Key
}

func (e *env) mathWorld() mathWorld {
	t := e.t
	t.Helper()
	math := e.glowAs(mathToken)
	cs := e.glowAs(csToken)
	var w mathWorld
	eps := must(math.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://math.example/v1"}, {URL: "https://math.example/spare"}}))(t)
	w.ep, w.spareEp = eps[0], eps[1]
	keys := must(math.CreateKeys(ctx, []glow.KeyInput{{Name: "math", Value: sensitive.New(mathValue)}, {Name: "math spare", Value: sensitive.New("sk-MATH-SEKRIT-spare")}}))(t)
	w.key, w.spareKey = keys[0], keys[1]
	w.provider = must(math.CreateProviders(ctx, []glow.ProviderInput{{
		Name: "Math route", DepartmentIDs: []string{"math"}, EndpointIDs: []string{w.ep.ID}, KeyIDs: []string{w.key.ID},
	}}))(t)[0]
	w.model = must(math.CreateModels(ctx, []glow.ModelInput{{Name: "math-model", ProviderID: w.provider.ProviderID}}))(t)[0]
	w.adminKey = must(e.glow.CreateKeys(ctx, []glow.KeyInput{{Name: "admin", Value: sensitive.New("sk-ADMIN-SEKRIT-1")}}))(t)[0]
	w.adminEp = must(e.glow.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://admin.example"}}))(t)[0]

	w.csEp = must(cs.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://cs.example/v1"}}))(t)[0]
	w.csKey = must(cs.CreateKeys(ctx, []glow.KeyInput{{Name: "cs", Value: sensitive.New("sk-CS-SEKRIT-7")}}))(t)[0]
	w.csProvider = must(cs.CreateProviders(ctx, []glow.ProviderInput{{
		Name: "CS route", DepartmentIDs: []string{"cs"}, EndpointIDs: []string{w.csEp.ID}, KeyIDs: []string{w.csKey.ID},
	}}))(t)[0]
	return w
}

func keyIDs(keys []glow.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

// sameNotFound asserts that err is the not_found a missing id gets: same
// status, code and field, and the same message but for the id.
func sameNotFound(t *testing.T, err error, field, id string, missing error, missingID string) {
	t.Helper()
	got := wantAPIError(t, err, api.ErrNotFound, 404, api.CodeNotFound, field)
	want := wantAPIError(t, missing, api.ErrNotFound, 404, api.CodeNotFound, field)
	if g, w := strings.ReplaceAll(got.Message, id, "<id>"), strings.ReplaceAll(want.Message, missingID, "<id>"); g != w {
		t.Errorf("a foreign id answers %q, a missing one %q", g, w)
	}
}

// A cs token neither lists, attaches, decrypts nor deletes math's keys and
// endpoints, nor math's models, and every refusal is the not_found of an id
// that does not exist.
func TestScopedTokenCannotReachForeignKeysEndpointsModels(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	w := e.mathWorld()
	cs := e.glowAs(csToken)
	math := e.glowAs(mathToken)

	scopedListsShowOwn(t, e, w, cs, math)
	scopedAttachIsNotFound(t, e, w, cs, math)
	scopedDecryptIsNotFound(t, e, w, cs, math)
	scopedDeleteIsNotFound(t, e, w, cs, math)
	scopedModelsFollowTheirProvider(t, e, w, cs, math)
}

// scopedListsShowOwn: each token lists its own keys and endpoints, the
// unscoped one all, and the endpoints a provider may attach are the
// caller's.
func scopedListsShowOwn(t *testing.T, e *env, w mathWorld, cs, math *glow.Client) {
	t.Helper()
	csID := w.csProvider.ProviderID
	if got := keyIDs(all(t, cs.ListKeys(ctx))); !sameSet(got, []string{w.csKey.ID}) {
		t.Errorf("cs lists keys %v, want only its own %s", got, w.csKey.ID)
	}
	if got := endpointIDs(all(t, cs.ListEndpoints(ctx))); !sameSet(got, []string{w.csEp.ID}) {
		t.Errorf("cs lists endpoints %v, want only its own %s", got, w.csEp.ID)
	}
	if got := keyIDs(all(t, math.ListKeys(ctx))); !sameSet(got, []string{w.key.ID, w.spareKey.ID}) {
		t.Errorf("math lists keys %v", got)
	}
	if got := keyIDs(all(t, e.glow.ListKeys(ctx))); len(got) != 4 {
		t.Errorf("the unscoped token lists keys %v, want all 4", got)
	}
	if got := endpointIDs(all(t, e.glow.ListEndpoints(ctx))); len(got) != 4 {
		t.Errorf("the unscoped token lists endpoints %v, want all 4", got)
	}
	// The endpoints a provider may attach are the caller's.
	if opts := must(cs.GetProvider(ctx, csID))(t).Endpoints.Options; !sameSet(endpointIDs(opts), []string{w.csEp.ID}) {
		t.Errorf("cs endpoint options %v", endpointIDs(opts))
	}
}

// scopedAttachIsNotFound: attaching a foreign key or endpoint by id, in
// every call that takes ids, is a 404 naming the field, exactly like an id
// that does not exist.
func scopedAttachIsNotFound(t *testing.T, e *env, w mathWorld, cs, math *glow.Client) {
	t.Helper()
	csID := w.csProvider.ProviderID
	_, missing := cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: csID, Patch: glow.Patch{KeyIDs: &[]string{w.csKey.ID, "no-such-key"}}})
	for _, foreign := range []string{w.key.ID, w.spareKey.ID, w.adminKey.ID} {
		_, err := cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: csID, Patch: glow.Patch{KeyIDs: &[]string{w.csKey.ID, foreign}}})
		sameNotFound(t, err, "key_ids[1]", foreign, missing, "no-such-key")
	}
	_, missing = cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "x", DepartmentIDs: []string{"cs"}, EndpointIDs: []string{"no-such-ep"}}})
	for _, foreign := range []string{w.ep.ID, w.spareEp.ID, w.adminEp.ID} {
		_, err := cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "x", DepartmentIDs: []string{"cs"}, EndpointIDs: []string{foreign}}})
		sameNotFound(t, err, "providers[0].endpoint_ids[0]", foreign, missing, "no-such-ep")
	}
	_, err := cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "x", DepartmentIDs: []string{"cs"}, KeyIDs: []string{w.key.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "providers[0].key_ids[0]")
	v := must(cs.GetProvider(ctx, csID))(t).Provider.Version
	_, err = cs.Draft(ctx, glow.DraftRequest{ProviderID: csID, ExpectedVersion: ptr(v), Patch: glow.Patch{KeyIDs: &[]string{w.key.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "key_ids[0]")
	_, err = cs.Draft(ctx, glow.DraftRequest{ProviderID: csID, ExpectedVersion: ptr(v), Patch: glow.Patch{EndpointIDs: &[]string{w.ep.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "endpoint_ids[0]")
	_, err = cs.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Name: ptr("new in cs"), DepartmentIDs: &[]string{"cs"}, KeyIDs: &[]string{w.spareKey.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "key_ids[0]")
	_, err = cs.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{csID}}, Patch: glow.Patch{KeyIDs: &[]string{w.key.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "patch.key_ids[0]")
	_, err = cs.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{All: true}, Patch: glow.Patch{EndpointIDs: &[]string{w.csEp.ID, w.ep.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "patch.endpoint_ids[1]")
	if p := must(e.glow.GetProvider(ctx, csID))(t).Provider; !slices.Equal(p.KeyIDs, []string{w.csKey.ID}) || !slices.Equal(p.EndpointIDs, []string{w.csEp.ID}) || p.Version != v {
		t.Errorf("the cs provider changed: %+v", p)
	}
}

// scopedDecryptIsNotFound: a decrypt through a foreign key, through the cs
// provider (not attached) or through math's (invisible), never gives the
// value.
func scopedDecryptIsNotFound(t *testing.T, e *env, w mathWorld, cs, math *glow.Client) {
	t.Helper()
	csID := w.csProvider.ProviderID
	_, err := cs.Decrypt(ctx, csID, w.key.ID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "key_id")
	_, err = cs.Decrypt(ctx, w.provider.ProviderID, w.key.ID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "provider_id")
	for _, a := range e.srv.Audit() {
		if a.KeyID == w.key.ID && a.Success {
			t.Errorf("a decrypt of math's key succeeded: %+v", a)
		}
	}
	if d := must(math.Decrypt(ctx, w.provider.ProviderID, w.key.ID))(t); d.Value.Reveal() != mathValue {
		t.Errorf("math cannot decrypt its own key")
	}
}

// scopedDeleteIsNotFound: foreign keys and endpoints, attached or not, are
// not_found with the message of a missing id, and stay; an own key in use
// is named by the cs provider.
func scopedDeleteIsNotFound(t *testing.T, e *env, w mathWorld, cs, math *glow.Client) {
	t.Helper()
	csID := w.csProvider.ProviderID
	res := must(cs.DeleteKeys(ctx, []string{w.spareKey.ID, w.key.ID, w.adminKey.ID, "no-such-key"}))(t)
	epRes := must(cs.DeleteEndpoints(ctx, []string{w.spareEp.ID, w.ep.ID, w.adminEp.ID, "no-such-ep"}))(t)
	for _, r := range append(res, epRes...) {
		if r.Success || r.Code != api.CodeNotFound {
			t.Errorf("cs deleted or was told about a foreign item: %+v", r)
		}
	}
	for _, rs := range [][]glow.IDResult{res, epRes} {
		for _, r := range rs[:3] {
			if r.Message != rs[3].Message {
				t.Errorf("foreign item answers %q, a missing one %q", r.Message, rs[3].Message)
			}
		}
	}
	if got := all(t, e.glow.ListKeys(ctx)); len(got) != 4 {
		t.Errorf("keys left: %d, want 4", len(got))
	}
	if got := all(t, e.glow.ListEndpoints(ctx)); len(got) != 4 {
		t.Errorf("endpoints left: %d, want 4", len(got))
	}
	// In use, own: named by the cs provider.
	res = must(cs.DeleteKeys(ctx, []string{w.csKey.ID}))(t)
	if len(res) != 1 || res[0].Code != api.CodeInUse || !strings.Contains(res[0].Message, csID) {
		t.Errorf("deleting an attached own key: %+v", res)
	}
}

// scopedModelsFollowTheirProvider: models are visible, creatable and
// deletable through their provider's departments only.
func scopedModelsFollowTheirProvider(t *testing.T, e *env, w mathWorld, cs, math *glow.Client) {
	t.Helper()
	csID := w.csProvider.ProviderID
	_, missing := cs.CreateModels(ctx, []glow.ModelInput{{Name: "m", ProviderID: "no-such-provider"}})
	_, err := cs.CreateModels(ctx, []glow.ModelInput{{Name: "m", ProviderID: w.provider.ProviderID}})
	sameNotFound(t, err, "models[0].provider_id", w.provider.ProviderID, missing, "no-such-provider")
	if got := all(t, cs.SearchModels(ctx)); len(got) != 0 {
		t.Errorf("cs lists models %+v", got)
	}
	mres := must(cs.DeleteModels(ctx, []string{w.model.ID}))(t)
	if len(mres) != 1 || mres[0].Success || mres[0].Code != api.CodeNotFound {
		t.Errorf("cs deleting math's model: %+v", mres)
	}
	if got := all(t, math.SearchModels(ctx)); len(got) != 1 || got[0].ID != w.model.ID {
		t.Errorf("math's models: %+v", got)
	}
	must(cs.CreateModels(ctx, []glow.ModelInput{{Name: "cs-model", ProviderID: csID}}))(t)
	if got := all(t, math.SearchModels(ctx)); len(got) != 1 {
		t.Errorf("math sees cs's model: %+v", got)
	}
}

// A key or endpoint is visible through the providers that attach it: one
// the unscoped token attaches to a cs provider is the cs token's to use
// while it is attached there, and invisible again once cs detaches it.
// Unattached, it is visible only within the scope that created it: all of
// the creating token's departments must be in the caller's scope.
func TestScopedVisibilityFollowsAttachment(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	w := e.mathWorld()
	cs := e.glowAs(csToken)
	csID := w.csProvider.ProviderID

	p := must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: csID, Patch: glow.Patch{KeyIDs: &[]string{w.csKey.ID, w.adminKey.ID}}}))(t)
	if got := keyIDs(all(t, cs.ListKeys(ctx))); !sameSet(got, []string{w.csKey.ID, w.adminKey.ID}) {
		t.Errorf("cs lists %v after the admin attached a key to its provider", got)
	}
	must(cs.Decrypt(ctx, csID, w.adminKey.ID))(t)
	// The cs provider shows it, but math's attached key is still out of
	// reach through it.
	_, err := cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: csID, ExpectedVersion: ptr(p.Version), Patch: glow.Patch{KeyIDs: &[]string{w.csKey.ID, w.adminKey.ID, w.key.ID}}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "key_ids[2]")
	must(cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: csID, Patch: glow.Patch{KeyIDs: &[]string{w.csKey.ID}}}))(t)
	if got := keyIDs(all(t, cs.ListKeys(ctx))); !sameSet(got, []string{w.csKey.ID}) {
		t.Errorf("cs lists %v after detaching the admin's key", got)
	}
	if res := must(cs.DeleteKeys(ctx, []string{w.adminKey.ID}))(t); res[0].Code != api.CodeNotFound {
		t.Errorf("cs deleted the admin's detached key: %+v", res)
	}

	// A key made by the cs+sales token is not the cs token's.
	wide := e.glowAs(scopedToken)
	k := must(wide.CreateKeys(ctx, []glow.KeyInput{{Name: "cs and sales", Value: sensitive.New("sk-WIDE-SEKRIT")}}))(t)[0]
	if got := keyIDs(all(t, wide.ListKeys(ctx))); !slices.Contains(got, k.ID) {
		t.Errorf("the creating token does not list its own key: %v", got)
	}
	if got := keyIDs(all(t, cs.ListKeys(ctx))); slices.Contains(got, k.ID) {
		t.Errorf("cs lists a key created for cs and sales")
	}
	// A key used by a cs provider and a math provider is visible to cs
	// through its own provider; deleting it names the provider cs sees.
	shared := must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: w.provider.ProviderID, Patch: glow.Patch{KeyIDs: &[]string{w.key.ID, w.csKey.ID}}}))(t)
	res := must(cs.DeleteKeys(ctx, []string{w.csKey.ID}))(t)
	if res[0].Code != api.CodeInUse || !strings.Contains(res[0].Message, csID) || strings.Contains(res[0].Message, shared.ID) {
		t.Errorf("in_use of a shared key, for cs: %+v", res[0])
	}
}

// Switchboard's own cycle with a token scoped to cs: create a provider with
// an endpoint and a key, update it, rotate the key, switch the endpoint,
// destroy it and clean up its key and endpoint. Every step succeeds, and
// nothing is left.
func TestScopedTokenRunsSwitchboardsCycle(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	w := e.mathWorld() // other departments' objects around, and cs's own
	cs := e.glowAs(csToken)

	ep := must(cs.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://api.openai.com/v1"}}))(t)[0]
	key := must(cs.CreateKeys(ctx, []glow.KeyInput{{Name: "openai", Value: sensitive.New("sk-CYCLE-SEKRIT-1")}}))(t)[0]
	c := must(cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "OpenAI", DepartmentIDs: []string{"cs"}}}))(t)[0]
	d := must(cs.Draft(ctx, glow.DraftRequest{ProviderID: c.ProviderID, InputDraftID: c.DraftID, ExpectedVersion: ptr(c.Version),
		Patch: glow.Patch{EndpointIDs: &[]string{ep.ID}, KeyIDs: &[]string{key.ID}}}))(t)
	p := must(cs.Publish(ctx, glow.PublishRequest{DraftID: d.DraftID, ExpectedVersion: ptr(d.NewVersion)}))(t)
	if !slices.Equal(p.KeyIDs, []string{key.ID}) || !slices.Equal(p.EndpointIDs, []string{ep.ID}) {
		t.Fatalf("created: %+v", p)
	}

	// Update, by draft and directly.
	d = must(cs.Draft(ctx, glow.DraftRequest{ProviderID: p.ID, ExpectedVersion: ptr(p.Version), Patch: glow.Patch{Description: ptr("updated")}}))(t)
	p = must(cs.Publish(ctx, glow.PublishRequest{DraftID: d.DraftID, ExpectedVersion: ptr(d.NewVersion)}))(t)
	p = must(cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p.ID, ExpectedVersion: ptr(p.Version), Patch: glow.Patch{Values: &map[string]string{"tier": "gold"}}}))(t)

	// Rotate: a new key in, the old one out and deleted.
	next := must(cs.CreateKeys(ctx, []glow.KeyInput{{Name: "openai", Value: sensitive.New("sk-CYCLE-SEKRIT-2")}}))(t)[0]
	d = must(cs.Draft(ctx, glow.DraftRequest{ProviderID: p.ID, ExpectedVersion: ptr(p.Version), Patch: glow.Patch{KeyIDs: &[]string{next.ID}}}))(t)
	p = must(cs.Publish(ctx, glow.PublishRequest{DraftID: d.DraftID, ExpectedVersion: ptr(d.NewVersion)}))(t)
	if res := must(cs.DeleteKeys(ctx, []string{key.ID}))(t); !res[0].Success {
		t.Fatalf("deleting the rotated-out key: %+v", res)
	}
	if v := must(cs.Decrypt(ctx, p.ID, next.ID))(t); v.Value.Reveal() != "sk-CYCLE-SEKRIT-2" {
		t.Errorf("decrypt after the rotation")
	}
	// Switch the endpoint; the old one is deleted.
	nextEp := must(cs.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://api.openai.com/v2"}}))(t)[0]
	p = must(cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p.ID, ExpectedVersion: ptr(p.Version), Patch: glow.Patch{EndpointIDs: &[]string{nextEp.ID}}}))(t)
	if res := must(cs.DeleteEndpoints(ctx, []string{ep.ID}))(t); !res[0].Success {
		t.Fatalf("deleting the switched-out endpoint: %+v", res)
	}
	if got := keyIDs(all(t, cs.ListKeys(ctx))); !sameSet(got, []string{w.csKey.ID, next.ID}) {
		t.Errorf("cs keys %v during the cycle", got)
	}

	// Destroy, then clean up what it used.
	if res := must(cs.DeleteProviders(ctx, []string{p.ID}))(t); !res[0].Success {
		t.Fatalf("destroy: %+v", res)
	}
	if res := must(cs.DeleteKeys(ctx, []string{next.ID}))(t); !res[0].Success {
		t.Fatalf("deleting the destroyed provider's key: %+v", res)
	}
	if res := must(cs.DeleteEndpoints(ctx, []string{nextEp.ID}))(t); !res[0].Success {
		t.Fatalf("deleting the destroyed provider's endpoint: %+v", res)
	}
	for _, k := range all(t, e.glow.ListKeys(ctx)) {
		if k.ID == key.ID || k.ID == next.ID {
			t.Errorf("key %s left", k.ID)
		}
	}
	for _, x := range all(t, e.glow.ListEndpoints(ctx)) {
		if x.ID == ep.ID || x.ID == nextEp.ID {
			t.Errorf("endpoint %s left", x.ID)
		}
	}
}

// A name taken by a provider the caller cannot see answers name_conflict
// without naming that provider, on create, update, publish and bulk update.
func TestNameConflictHidesInvisibleProvider(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	cs := e.glowAs(csToken)
	hidden := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "Shared", DepartmentIDs: []string{"cs", "math"}}}))(t)[0]
	mine := must(cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "Mine", DepartmentIDs: []string{"cs"}}}))(t)[0]
	noID := func(what string, msg string) {
		t.Helper()
		if strings.Contains(msg, hidden.ProviderID) || !strings.Contains(msg, "Shared") {
			t.Errorf("%s: %q names the invisible provider or not the name", what, msg)
		}
	}

	_, err := cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "Shared", DepartmentIDs: []string{"cs"}}})
	noID("create", wantAPIError(t, err, api.ErrConflict, 409, api.CodeNameConflict, "providers[0].name").Message)
	_, err = cs.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: mine.ProviderID, Patch: glow.Patch{Name: ptr("Shared")}})
	noID("update", wantAPIError(t, err, api.ErrConflict, 409, api.CodeNameConflict, "name").Message)
	d := must(cs.Draft(ctx, glow.DraftRequest{ProviderID: mine.ProviderID, InputDraftID: mine.DraftID, ExpectedVersion: ptr(mine.Version), Patch: glow.Patch{Name: ptr("Shared")}}))(t)
	_, err = cs.Publish(ctx, glow.PublishRequest{DraftID: d.DraftID, ExpectedVersion: ptr(d.NewVersion)})
	noID("publish", wantAPIError(t, err, api.ErrConflict, 409, api.CodeNameConflict, "name").Message)
	res := must(cs.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{mine.ProviderID}}, Patch: glow.Patch{Name: ptr("Shared")}}))(t)
	if len(res) != 1 || res[0].Code != api.CodeNameConflict {
		t.Fatalf("bulk rename: %+v", res)
	}
	noID("bulk update", res[0].Message)
}

// Duplicating names the copy after the copies the caller sees; a name held
// by a copy it cannot see is skipped without a word.
func TestDuplicateNamingHidesInvisibleCopies(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	cs := e.glowAs(csToken)
	orig := must(cs.CreateProviders(ctx, []glow.ProviderInput{{Name: "Route", DepartmentIDs: []string{"cs"}}}))(t)[0]
	hidden := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{
		{Name: "Route (copy)", DepartmentIDs: []string{"cs", "math"}},
		{Name: "Route (copy 3)", DepartmentIDs: []string{"cs", "math"}},
	}))(t)

	var names []string
	for range 3 {
		c := must(cs.DuplicateProvider(ctx, orig.ProviderID))(t)
		for _, h := range hidden {
			if c.ProviderID == h.ProviderID {
				t.Errorf("the copy is an invisible provider")
			}
		}
		names = append(names, c.Name)
	}
	if want := []string{"Route (copy 2)", "Route (copy 4)", "Route (copy 5)"}; !slices.Equal(names, want) {
		t.Errorf("copies named %q, want %q", names, want)
	}
	// The unscoped token, which sees every copy, gets the next free one.
	if c := must(e.glow.DuplicateProvider(ctx, orig.ProviderID))(t); c.Name != "Route (copy 6)" {
		t.Errorf("unscoped copy named %q", c.Name)
	}
	for _, p := range all(t, cs.Search(ctx, glow.SearchRequest{Search: "Route"})) {
		for _, h := range hidden {
			if p.ID == h.ProviderID {
				t.Errorf("cs sees %s", p.Name)
			}
		}
	}
}
