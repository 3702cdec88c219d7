// Package english words the counts in Switchboard's messages ("1 model",
// "3 models"), so that the plan, apply and import outputs agree.
package english

import "strconv"

// Plural returns one when n is 1 and many otherwise. The caller names
// both forms, since English plurals are irregular ("entry", "entries").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Count returns n followed by the form of the noun that agrees with it:
// Count(1, "model", "models") is "1 model".
func Count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + Plural(n, one, many)
}
