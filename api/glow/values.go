package glow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// A provider's values are strings as far as Switchboard is concerned: it
// writes only strings, and Glow's guide shows no other kind. A Glow may
// still hold other JSON there (set by hand or by another tool): a number, a
// boolean, null, an object or a list. Reading one must not fail a whole
// plan, and hiding it would let a values write (which replaces them whole)
// drop it unseen, so each is kept as its raw JSON in OtherValues
// (docs/api.md, "Tolerance").

// providerJSON is a provider as the wire has it: values raw, created_at
// raw. It has no UnmarshalJSON of its own, so that a page of providers
// decodes in one pass: through Provider's, encoding/json validated and
// scanned each provider's bytes twice more.
type providerJSON struct {
	providerFields
	Values    map[string]json.RawMessage `json:"values"`
	CreatedAt json.RawMessage            `json:"created_at"`
}

// providerFields is Provider without its methods.
type providerFields Provider

func (w *providerJSON) provider() Provider {
	values, other := splitValues(w.Values)
	p := Provider(w.providerFields)
	p.Values, p.OtherValues = values, other
	p.CreatedAt = timestamp(w.CreatedAt)
	return p
}

// UnmarshalJSON reads values into Values and OtherValues, and created_at
// tolerantly; everything else as the struct says.
func (p *Provider) UnmarshalJSON(b []byte) error {
	var w providerJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = w.provider()
	return nil
}

// searchResponseJSON is SearchResponse as the wire has it (see
// providerJSON).
type searchResponseJSON struct {
	Providers     []providerJSON `json:"providers"`
	NextPageToken string         `json:"next_page_token,omitempty"`
	TotalCount    int            `json:"total_count"`
}

func (w *searchResponseJSON) response() SearchResponse {
	r := SearchResponse{NextPageToken: w.NextPageToken, TotalCount: w.TotalCount}
	if w.Providers != nil {
		r.Providers = make([]Provider, len(w.Providers))
		for i := range w.Providers {
			r.Providers[i] = w.Providers[i].provider()
		}
	}
	return r
}

// MarshalJSON writes OtherValues back into "values", next to Values (a key
// in both is written from Values), so that encoding a decoded provider
// loses nothing.
func (p Provider) MarshalJSON() ([]byte, error) {
	type plain Provider
	if len(p.OtherValues) == 0 {
		return json.Marshal(plain(p))
	}
	values, err := joinValues(p.Values, p.OtherValues)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		plain
		Values map[string]json.RawMessage `json:"values"`
	}{plain(p), values})
}

// UnmarshalJSON reads values into Values and OtherValues, as Provider's
// does.
func (f *FormState) UnmarshalJSON(b []byte) error {
	type plain FormState
	var w struct {
		plain
		Values map[string]json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	values, other := splitValues(w.Values)
	*f = FormState(w.plain)
	f.Values, f.OtherValues = values, other
	return nil
}

// MarshalJSON writes OtherValues back into "values", as Provider's does.
func (f FormState) MarshalJSON() ([]byte, error) {
	type plain FormState
	if len(f.OtherValues) == 0 {
		return json.Marshal(plain(f))
	}
	values, err := joinValues(f.Values, f.OtherValues)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		plain
		Values map[string]json.RawMessage `json:"values"`
	}{plain(f), values})
}

// splitValues sorts a values object's entries: strings into strs and every
// other value, compacted, into other (nil when there is none). Absent or
// null values (a nil all) give two nil maps; an object gives a non-nil
// strs. Values that are not an object fail the decoding before this:
// Switchboard acts on values (the ownership marker is one), so it does not
// guess at them.
func splitValues(all map[string]json.RawMessage) (strs map[string]string, other map[string]json.RawMessage) {
	if all == nil {
		return nil, nil
	}
	strs = make(map[string]string, len(all))
	for k, v := range all {
		v = bytes.TrimSpace(v)
		if s, ok := jsonString(v); ok {
			strs[k] = s
			continue
		}
		if other == nil {
			other = map[string]json.RawMessage{}
		}
		var c bytes.Buffer
		if json.Compact(&c, v) == nil {
			v = c.Bytes()
		}
		other[k] = v
	}
	return strs, other
}

// joinValues is one values object of strs and other; strs wins a key in
// both. Raw JSON that is not valid fails the encoding rather than being
// dropped.
func joinValues(strs map[string]string, other map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(strs)+len(other))
	for k, v := range other {
		if !json.Valid(v) {
			return nil, fmt.Errorf("glow: value %q is not valid JSON", k)
		}
		out[k] = v
	}
	for k, s := range strs {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, nil
}

// jsonString is the string raw holds, if it is a JSON string. A string
// without escapes in valid UTF-8 is its own content (the decoder has
// checked it), which spares a decode per value.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if in := raw[1 : len(raw)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// timeLayouts are the forms a displayed-only timestamp is read in: RFC 3339
// (every layout accepts fractional seconds), a zone without a colon, a
// space for the T, and no zone (read as UTC). The same list as Gateflow's.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
}

// timestamp reads a displayed-only timestamp; zero when absent, null, not a
// string or in no form of timeLayouts.
func timestamp(raw json.RawMessage) time.Time {
	s, ok := jsonString(bytes.TrimSpace(raw))
	if !ok {
		return time.Time{}
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
