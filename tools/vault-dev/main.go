package main

import (
	_ "github.com/hashicorp/vault/http"
	_ "github.com/hashicorp/vault/vault"
)

func main() {}
