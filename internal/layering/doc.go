// Package layering holds no code, only the test that keeps the module's
// import graph to the layers of README.md's Layout table: layering_test.go
// lists the layers as data and fails on an import between the module's own
// packages that they do not allow. Run it alone with
//
//	go test ./internal/layering
package layering
