package applier_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// testOwner is the owner identity of the configuration the tests apply.
const testOwner = "applier-test"

const (
	applyToken   = "switchboard-token"
	applyActor   = "switchboard"
	inspectToken = "inspector-token"
)

// env is one test's world: an emulator serving Glow and Gateflow, a Vault,
// Switchboard's clients, and a second Glow identity for the test's own
// decrypts, so that the audit log tells them apart.
type env struct {
	t       *testing.T
	srv     *emulator.Server
	url     string
	glow    *glow.Client
	inspect *glow.Client
	gf      *gateflow.Client

	vaultAddr, vaultToken string
	vault                 *vaultapi.Client
	prefix                string

	mu     sync.Mutex
	values []string // every secret value written, which no output may hold
}

func newEnv(t *testing.T, opts ...api.Option) *env {
	t.Helper()
	srv, url := emulatortest.Start(t, emulator.Config{
		GlowTokens: []emulator.GlowToken{
			{Token: applyToken, ActorName: applyActor},
			{Token: inspectToken, ActorName: "inspector"},
		},
	})
	opts = append([]api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond)}, opts...)
	e := &env{t: t, srv: srv, url: url}
	var err error
	if e.glow, err = glow.New(url, sensitive.New(applyToken), opts...); err != nil {
		t.Fatal(err)
	}
	if e.inspect, err = glow.New(url, sensitive.New(inspectToken)); err != nil {
		t.Fatal(err)
	}
	if e.gf, err = gateflow.New(url, sensitive.New(emulatortest.AdminKey), opts...); err != nil {
		t.Fatal(err)
	}
	e.vaultAddr, e.vaultToken = vaulttest.Start(t)
	e.vault = vaulttest.Client(t, e.vaultAddr, e.vaultToken)
	e.prefix = "applier-" + randomHex(6)
	return e
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// put writes a new version of secret/<prefix>/<name> with a fresh value and
// returns the path and the value.
func (e *env) put(name, prefix string) (path, value string) {
	e.t.Helper()
	value = prefix + randomHex(12)
	p := e.prefix + "/" + name
	if _, err := e.vault.KVv2("secret").Put(context.Background(), p, map[string]any{"api_key": value}); err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.values = append(e.values, value)
	e.mu.Unlock()
	return "secret/" + p, value
}

// resolver is one run's resolver: a run sees one version of each secret.
func (e *env) resolver() *secrets.Resolver {
	return secrets.NewResolver(vaulttest.Client(e.t, e.vaultAddr, e.vaultToken))
}

// source resolves a reference the way the planner does.
func (e *env) source(path string) secretref.Source {
	e.t.Helper()
	md, err := e.resolver().Metadata(context.Background(), secretref.VaultRef{Path: path, Key: "api_key"})
	if err != nil {
		e.t.Fatal(err)
	}
	return secretref.Source{VaultPath: path, VaultKey: "api_key", Version: md.Version, CreatedTime: md.CreatedTime}
}

// plan reads the live state and diffs it with desired, as the lead's glue
// will; the test helper stands in for planner.Make.
func (e *env) plan(desired objects.Snapshot, opts diff.Options) *plan.Plan {
	e.t.Helper()
	if opts.Owner == "" {
		opts.Owner = testOwner
	}
	live, err := dump.Read(context.Background(), dump.Clients{Glow: e.glow, Gateflow: e.gf}, dump.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := diff.Diff(desired, live, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) deps() applier.Deps {
	return applier.Deps{Glow: e.glow, Gateflow: e.gf, Secrets: e.resolver()}
}

// apply runs Apply and checks that nothing it printed or returned holds a
// secret value.
func (e *env) apply(p *plan.Plan, opts applier.Options) (*applier.Result, string, error) {
	e.t.Helper()
	var out bytes.Buffer
	opts.Hooks = textHooks{&out}
	res, err := applier.Apply(context.Background(), p, e.deps(), opts)
	texts := []string{out.String()}
	if err != nil {
		texts = append(texts, err.Error())
	}
	e.noSecrets(texts...)
	return res, out.String(), err
}

func (e *env) noSecrets(texts ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range texts {
		for _, v := range e.values {
			if strings.Contains(s, v) {
				e.t.Fatalf("output holds a secret value:\n%s", s)
			}
		}
	}
}

// noChanges re-plans and fails if the plan is not empty.
func (e *env) noChanges(desired objects.Snapshot, opts diff.Options) {
	e.t.Helper()
	p := e.plan(desired, opts)
	if p.HasChanges() {
		var b strings.Builder
		for _, c := range p.Changes {
			if c.Action() != plan.ActionNoOp {
				b.WriteString(c.Address + " " + string(c.Action()) + "\n")
			}
		}
		e.t.Fatalf("re-plan has changes: %+v\n%s", p.Summary, b.String())
	}
}

func (e *env) ops(name string) int64 { return e.srv.Stats().Operations[name] }

// switchboardDecrypts counts the decrypts made with Switchboard's identity.
func (e *env) switchboardDecrypts() int {
	n := 0
	for _, a := range e.srv.Audit() {
		if a.ActorName == applyActor {
			n++
		}
	}
	return n
}

func (e *env) fault(fs emulator.FaultScript) {
	e.t.Helper()
	if err := e.srv.ScriptFaults(fs); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) providers() []glow.Provider {
	e.t.Helper()
	ps, err := api.Collect(e.glow.Search(context.Background(), glow.SearchRequest{}))
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func glowProvider(addr, name string, keys map[string]secretref.Source) objects.GlowProvider {
	g := objects.GlowProvider{
		Address: objects.Address("glow_provider." + addr), Name: name, Description: "managed",
		Departments: objects.NewSet("eng"), Endpoints: objects.NewSet("https://api.example.com/v1"),
		Values: map[string]string{"tier": "prod"},
	}
	if len(keys) > 0 {
		g.Keys = objects.Keys{}
		for label, src := range keys {
			g.Keys.Set(objects.KeyState{Label: label, Source: src})
		}
	}
	return g
}

func glowUpdate(id string, version int64, description string) glow.UpdateRequest {
	return glow.UpdateRequest{ProviderID: id, ExpectedVersion: &version, Patch: glow.Patch{Description: &description}}
}

// textHooks writes the events in Terraform's words, as the command line's
// human view does, so that the tests read what apply reported.
type textHooks struct{ w io.Writer }

func (textHooks) PlannedChange(applier.Operation) {}

func (h textHooks) Started(o applier.Operation) {
	start := map[plan.Action]string{plan.ActionCreate: "Creating...", plan.ActionDelete: "Destroying..."}[o.Action]
	if start == "" {
		start = "Modifying..."
	}
	if o.ID != "" && o.Action != plan.ActionCreate {
		start += " [id=" + o.ID + "]"
	}
	fmt.Fprintf(h.w, "%s: %s\n", o.Address, start)
}

func (h textHooks) Finished(o applier.Operation, out applier.Outcome) {
	done, failed := "Modifications complete", "Modifications failed"
	switch o.Action {
	case plan.ActionCreate:
		done, failed = "Creation complete", "Creation failed"
	case plan.ActionDelete:
		done, failed = "Destruction complete", "Destruction failed"
	}
	id := ""
	if out.ID != "" && (o.Action != plan.ActionDelete || out.Err != nil) {
		id = " [id=" + out.ID + "]"
	}
	if out.Err != nil {
		fmt.Fprintf(h.w, "%s: %s after %s%s: %v\n", o.Address, failed, out.Elapsed.Round(time.Second), id, out.Err)
		return
	}
	fmt.Fprintf(h.w, "%s: %s after %s%s\n", o.Address, done, out.Elapsed.Round(time.Second), id)
}

func (h textHooks) Verified(o applier.Operation, err error) {
	if err != nil {
		fmt.Fprintf(h.w, "%s: Verification failed: %v\n", o.Address, err)
		return
	}
	fmt.Fprintf(h.w, "%s: Verification complete\n", o.Address)
}

func (h textHooks) Message(msg string) { fmt.Fprintln(h.w, msg) }

func (h textHooks) Summary(r *applier.Result) {
	for _, w := range r.Warnings {
		fmt.Fprintf(h.w, "Warning: %s\n", w)
	}
	if r.Err() == nil {
		fmt.Fprintf(h.w, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", r.Added, r.Changed, r.Destroyed)
		return
	}
	fmt.Fprintf(h.w, "\nApply incomplete: %v\n", r.Err())
}
