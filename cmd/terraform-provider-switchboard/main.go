// Command terraform-provider-switchboard is the Terraform provider for Glow
// and Gateflow LLM providers. Terraform starts it; it is not meant to be run
// by hand except with -debug, for a debugger (see docs/terraform.md).
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/terraform-provider/provider"
)

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	// One version for both binaries: the linker sets it in
	// internal/version (Makefile, goreleaser), which falls back to the
	// module build info for `go install …@vX`.
	err := providerserver.Serve(context.Background(), provider.New(version.Version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
