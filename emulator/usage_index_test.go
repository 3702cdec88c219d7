package emulator_test

import (
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// Key and endpoint deletes answer in_use from an index of which providers
// attach what, instead of scanning every provider under the write lock.
// The index must agree with a full scan after every kind of provider
// write, and after a restart from the persisted data.
func TestUsageIndexMatchesProviders(t *testing.T) {
	dir := t.TempDir()
	s1, g, _ := start(t, emulator.Config{DataDir: dir})
	check := func(s *emulator.Server, step string) {
		t.Helper()
		if m := s.UsageIndexMismatch(); m != "" {
			t.Fatalf("after %s: %s", step, m)
		}
	}
	kr := g.post("/key/create", `{"keys":[{"name":"k1","value":"sk-1"},{"name":"k2","value":"sk-2"},{"name":"k3","value":"sk-3"}]}`).want(200)
	k1, k2, k3 := kr.str("keys", 0, "key_id"), kr.str("keys", 1, "key_id"), kr.str("keys", 2, "key_id")
	er := g.post("/endpoint/create", `{"endpoints":[{"url":"https://a.example/v1"},{"url":"https://b.example/v1"}]}`).want(200)
	e1, e2 := er.str("endpoints", 0, "endpoint_id"), er.str("endpoints", 1, "endpoint_id")

	pr := g.postf("/provider/create", `{"providers":[{"name":"A","key_ids":[%q],"endpoint_ids":[%q]},{"name":"B","key_ids":[%q,%q],"endpoint_ids":[%q,%q]},{"name":"C"}]}`, k1, e1, k1, k2, e1, e2).want(200)
	a, b, c := pr.str("providers", 0, "provider_id"), pr.str("providers", 1, "provider_id"), pr.str("providers", 2, "provider_id")
	check(s1, "a bulk create")
	if r := g.postf("/key/delete", `{"key_ids":[%q]}`, k1).want(200); codes(r) != "in_use" {
		t.Fatalf("deleting a key in use: %s", r.raw)
	}

	g.postf("/provider/update", `{"provider_id":%q,"key_ids":[%q]}`, a, k3).want(200)
	check(s1, "an update replacing keys")
	g.postf("/provider/update", `{"provider_ids":[%q,%q,%q],"patch":{"endpoint_ids":[%q]}}`, a, b, c, e2).want(200)
	check(s1, "a bulk update replacing endpoints")
	g.postf("/provider/duplicate", `{"provider_id":%q}`, b).want(200)
	check(s1, "a duplicate")
	g.postf("/provider/delete", `{"provider_ids":[%q,%q]}`, a, b).want(200)
	check(s1, "a bulk delete")

	// e1 is attached to nothing now; e2 to C and the duplicate. k1 and k2
	// only to the duplicate, k3 to nothing.
	r := g.postf("/endpoint/delete", `{"endpoint_ids":[%q,%q]}`, e1, e2).want(200)
	if got := codes(r); got != "deleted in_use" {
		t.Errorf("endpoint deletes: %s (%s)", got, r.raw)
	}
	r = g.postf("/key/delete", `{"key_ids":[%q,%q,%q]}`, k1, k2, k3).want(200)
	if got := codes(r); got != "in_use in_use deleted" {
		t.Errorf("key deletes: %s (%s)", got, r.raw)
	}
	check(s1, "key and endpoint deletes")
	keys, endpoints := s1.UsageIndexSize()
	if keys != 2 || endpoints != 1 {
		t.Fatalf("index holds %d keys and %d endpoints, want 2 and 1", keys, endpoints)
	}

	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := emulatortest.Start(t, emulator.Config{DataDir: dir})
	check(s2, "a restart")
	if k, e := s2.UsageIndexSize(); k != keys || e != endpoints {
		t.Fatalf("after a restart the index holds %d keys and %d endpoints, want %d and %d", k, e, keys, endpoints)
	}
}

// codes lists each result's code, or "deleted" for a success.
func codes(r *reply) string {
	var out []string
	for _, res := range r.list("results") {
		if code, _ := res.(map[string]any)["code"].(string); code != "" {
			out = append(out, code)
		} else {
			out = append(out, "deleted")
		}
	}
	return strings.Join(out, " ")
}
