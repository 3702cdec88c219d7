package objects

// SameNameScope reports whether two Glow providers with these departments
// compete for one name: Glow keeps names unique per department, and among
// global providers (no department). Matching a configuration block to a
// live provider by name, and finding a provider whose create answer was
// lost, both depend on it.
func SameNameScope(a, b Set) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == 0 && len(b) == 0
	}
	for _, x := range a {
		if b.Has(x) {
			return true
		}
	}
	return false
}
