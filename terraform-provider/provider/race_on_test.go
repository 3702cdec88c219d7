//go:build race

package provider

// raceEnabled says the tests run under -race, so that the provider binary
// they build has the detector too.
const raceEnabled = true
