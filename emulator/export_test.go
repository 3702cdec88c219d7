package emulator

import (
	"fmt"
	"maps"
	"slices"
)

// UsageIndexMismatch compares the usage index (keyUsers, endpointUsers),
// which key and endpoint deletes consult, with a full scan of the
// providers, and describes the first difference ("" when they agree).
func (s *Server) UsageIndexMismatch() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys, endpoints := map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, p := range s.st.providers.byID {
		for _, id := range p.Keys {
			keys[id] = addTo(keys[id], p.ID)
		}
		for _, id := range p.Endpoints {
			endpoints[id] = addTo(endpoints[id], p.ID)
		}
	}
	for _, c := range []struct {
		what          string
		index, actual map[string]map[string]bool
	}{{"key", s.st.keyUsers, keys}, {"endpoint", s.st.endpointUsers, endpoints}} {
		for _, id := range slices.Sorted(maps.Keys(mergeKeys(c.index, c.actual))) {
			got, want := slices.Sorted(maps.Keys(c.index[id])), slices.Sorted(maps.Keys(c.actual[id]))
			if !slices.Equal(got, want) {
				return fmt.Sprintf("%s %s: index says used by %v, the providers say %v", c.what, id, got, want)
			}
		}
	}
	return ""
}

// UsageIndexSize is how many keys and endpoints the index holds.
func (s *Server) UsageIndexSize() (keys, endpoints int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.st.keyUsers), len(s.st.endpointUsers)
}

func mergeKeys(a, b map[string]map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
