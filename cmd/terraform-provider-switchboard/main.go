// Command terraform-provider-switchboard is the Terraform provider for Glow
// and Gateflow LLM providers. Terraform starts it; it is not meant to be run
// by hand except with -debug, for a debugger (see docs/terraform.md).
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/switchboard-hq/switchboard/terraform-provider/provider"
)

// version is set by the linker (-ldflags "-X main.version=…") for releases.
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
