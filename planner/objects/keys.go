package objects

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Keys are a Glow provider's keys, sorted by label, each label once. They
// were a map: nearly every provider has one key, and a one-entry map costs
// about 400 B against 160 B for this, which at 100,000 providers on each
// side of a plan is about 45 MB of heap.
//
// In JSON they are still the object keyed by label that the map was, so
// that plan files do not change.
type Keys []KeyState

// NewKeys sorts ks by label; of several keys with one label the last is
// kept, as assigning them to a map would. No keys give nil.
func NewKeys(ks ...KeyState) Keys {
	if len(ks) == 0 {
		return nil
	}
	out := slices.Clone(Keys(ks))
	out.normalize()
	return out
}

// normalize sorts ks in place and drops all but the last of each label.
func (ks *Keys) normalize() {
	s := *ks
	slices.SortStableFunc(s, func(a, b KeyState) int { return strings.Compare(a.Label, b.Label) })
	n := 0
	for i, k := range s {
		if i+1 < len(s) && s[i+1].Label == k.Label {
			continue
		}
		s[n] = k
		n++
	}
	clear(s[n:])
	*ks = s[:n]
}

func (ks Keys) find(label string) (int, bool) {
	return slices.BinarySearchFunc(ks, label, func(k KeyState, l string) int { return strings.Compare(k.Label, l) })
}

// Get returns the key with this label.
func (ks Keys) Get(label string) (KeyState, bool) {
	if i, ok := ks.find(label); ok {
		return ks[i], true
	}
	return KeyState{}, false
}

// Has reports whether a key has this label.
func (ks Keys) Has(label string) bool {
	_, ok := ks.find(label)
	return ok
}

// Set adds k under k.Label, or replaces the key with that label.
func (ks *Keys) Set(k KeyState) {
	i, ok := ks.find(k.Label)
	if ok {
		(*ks)[i] = k
		return
	}
	*ks = slices.Insert(*ks, i, k)
}

// MarshalJSON writes the object the map was. The encoder does not escape
// HTML here because encoding/json escapes a Marshaler's output itself when
// its caller asks for it, and the plan file's writer does not: escaping
// here would write `\u003c` where the map wrote `<`.
func (ks Keys) MarshalJSON() ([]byte, error) {
	if ks == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range ks {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(k.Label); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads the object through a map, so that duplicate labels,
// null and type errors behave as they did. The plan file's reader refuses
// unknown fields, but encoding/json does not pass that on to an
// Unmarshaler: a key with a field KeyState lacks is refused here, always,
// since plan files are the only JSON that holds keys.
func (ks *Keys) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*ks = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m map[string]KeyState
	if err := dec.Decode(&m); err != nil {
		return err
	}
	out := make(Keys, 0, len(m))
	for label, k := range m {
		k.Label = label
		out = append(out, k)
	}
	out.normalize()
	*ks = out
	return nil
}
