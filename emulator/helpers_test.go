package emulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// reply is an answer as a client sees it.
type reply struct {
	t      testing.TB
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// client calls the emulator over HTTP with one bearer token.
type client struct {
	t     testing.TB
	base  string
	token string
}

func start(t testing.TB, cfg emulator.Config) (*emulator.Server, *client, *client) {
	t.Helper()
	s, base := emulatortest.Start(t, cfg)
	return s, &client{t, base, emulatortest.GlowToken}, &client{t, base, emulatortest.AdminKey}
}

func (c *client) as(token string) *client { return &client{c.t, c.base, token} }

func (c *client) do(method, path, body string) *reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := &reply{t: c.t, status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

func (c *client) post(path, body string) *reply { c.t.Helper(); return c.do("POST", path, body) }

// postf formats the body.
func (c *client) postf(path, format string, args ...any) *reply {
	c.t.Helper()
	return c.do("POST", path, fmt.Sprintf(format, args...))
}

// ok asserts a status and returns the reply.
func (r *reply) want(status int) *reply {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// wantError asserts an error answer's status, code and field.
func (r *reply) wantError(status int, code, field string) *reply {
	r.t.Helper()
	r.want(status)
	e, ok := r.body["error"].(map[string]any)
	if !ok {
		r.t.Fatalf("no error object: %s", r.raw)
	}
	if e["code"] != code {
		r.t.Fatalf("error code %v, want %s: %s", e["code"], code, r.raw)
	}
	gotField, _ := e["field"].(string)
	if gotField != field {
		r.t.Fatalf("error field %q, want %q: %s", gotField, field, r.raw)
	}
	if msg, _ := e["message"].(string); msg == "" {
		r.t.Fatalf("error without a message: %s", r.raw)
	}
	return r
}

func (r *reply) message() string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// get walks the JSON body: keys for objects, ints for arrays.
func (r *reply) get(path ...any) any {
	r.t.Helper()
	var v any = r.body
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				r.t.Fatalf("%v: not an object at %q in %s", path, k, r.raw)
			}
			if v, ok = m[k]; !ok {
				r.t.Fatalf("%v: no field %q in %s", path, k, r.raw)
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				r.t.Fatalf("%v: no element %d in %s", path, k, r.raw)
			}
			v = a[k]
		}
	}
	return v
}

func (r *reply) str(path ...any) string {
	r.t.Helper()
	s, ok := r.get(path...).(string)
	if !ok {
		r.t.Fatalf("%v is not a string in %s", path, r.raw)
	}
	return s
}

func (r *reply) num(path ...any) int64 {
	r.t.Helper()
	n, ok := r.get(path...).(float64)
	if !ok {
		r.t.Fatalf("%v is not a number in %s", path, r.raw)
	}
	return int64(n)
}

func (r *reply) list(path ...any) []any {
	r.t.Helper()
	a, ok := r.get(path...).([]any)
	if !ok {
		r.t.Fatalf("%v is not an array in %s", path, r.raw)
	}
	return a
}

// hasFields asserts that an object holds the fields.
func (r *reply) hasFields(obj any, names ...string) {
	r.t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		r.t.Fatalf("not an object: %v (in %s)", obj, r.raw)
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			r.t.Errorf("field %q missing in %v", n, m)
		}
	}
}

// createProvider creates one provider from a JSON entry and returns its id,
// draft id and version.
func (c *client) createProvider(entry string) (id, draft string) {
	c.t.Helper()
	r := c.post("/provider/create", `{"providers":[`+entry+`]}`).want(200)
	return r.str("providers", 0, "provider_id"), r.str("providers", 0, "draft_id")
}

func (c *client) version(id string) int64 {
	c.t.Helper()
	return c.postf("/provider/get", `{"provider_id":%q}`, id).want(200).num("provider", "version")
}

// wantStr asserts that the string at path is want; what names the step of
// the scenario in the message.
func (r *reply) wantStr(what, want string, path ...any) {
	r.t.Helper()
	if got := r.str(path...); got != want {
		r.t.Errorf("%s: %s = %q, want %q", what, jsonPath(path), got, want)
	}
}

// wantNum asserts that the number at path is want.
func (r *reply) wantNum(what string, want int64, path ...any) {
	r.t.Helper()
	if got := r.num(path...); got != want {
		r.t.Errorf("%s: %s = %d, want %d", what, jsonPath(path), got, want)
	}
}

// jsonPath writes a get path as a reader of the documents would:
// form_state.key_ids[0].
func jsonPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}
