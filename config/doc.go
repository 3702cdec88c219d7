// Package config reads a Switchboard configuration, a directory of *.hcl
// (and *.hcl.json) files read together like a Terraform module, into the
// desired state (Config) that the planner compares with Glow and Gateflow.
// Load never touches the network.
//
// # Blocks
//
//	glow     { url, token, prune_departments, owner }   url ← GLOW_INSTANCE_URL, token ← GLOW_TOKEN
//	gateflow { url, admin_key, prune }                  url ← GATEFLOW_URL, admin_key ← GATEFLOW_ADMIN_KEY
//	vault    { address, agent_address, parallelism, auth_login_approle | auth_login_jwt | auth_login_kubernetes { … } }
//	                                                    address ← VAULT_ADDR, agent_address ← VAULT_AGENT_ADDR
//	                                                    (no token in a file: see secretref.VaultAuth)
//	variable "NAME" { type, default, description, sensitive, validation { condition, error_message } }
//	locals   { NAME = EXPR ... }
//	glow_provider "NAME" {
//	  for_each, id, name (required), description, departments, endpoints, values, adopt (default false)
//	  key "NAME" { value }
//	  lifecycle { prevent_destroy }
//	}
//	gateflow_provider "NAME" { for_each, provider_id, enabled (default true), credentials (required), settings, lifecycle { prevent_destroy } }
//
// A gateflow_provider's label is its Gateflow provider ID unless
// provider_id is set; with for_each, set provider_id (usually each.key),
// since every instance shares the label. Its settings and credential names
// are checked against the Gateflow catalogue (package api/gateflow/catalogue,
// the table the emulator answers from): unknown names, wrong types and a
// missing api_key are errors at validate, with file:line. The settings blocks are optional:
// a missing glow or gateflow block is taken from the environment when a
// provider of that kind is declared.
//
// glow.owner (1 to 64 ASCII letters, digits, '-', '_' and '.'; DefaultOwner
// when unset) names who manages the configuration's Glow providers in the
// ownership marker Switchboard keeps in their values, under the keys
// starting with ReservedValuePrefix, which a configuration cannot set.
// adopt = true allows a glow_provider to take over a provider Glow already
// has that Switchboard does not own.
//
// # Files
//
// Load reads the directory through an os.Root, or through LoadOptions.FS
// (see MemFS): configuration files must be regular files inside the
// directory, at most MaxConfigFileSize each and MaxConfigTotalSize in all,
// counting what file() reads. file(path) takes a path relative to the
// directory (or starting with path.module) and reads only a regular file
// inside it, of at most MaxFileFunctionSize: an absolute path, "..", a
// symbolic link leading out, a directory, a device or a named pipe is an
// error at the call, and nothing is opened before it is known to be a
// regular file. Config.Files records every file read, so that a saved plan
// can load the same configuration again from memory.
//
// No file may nest deeper than MaxNestingDepth (blocks, brackets, template
// interpolations, chained !, - and ?): each configuration file, variable
// file, --var expression, templatefile() template and .hcl.json string is
// checked by a lexical pre-scan before HCL parses it, since the parsers
// recurse per level and a stack overflow cannot be recovered from.
//
// # Secrets
//
// vault(path, key[, version]) never reads Vault: it evaluates to a value
// marked Sensitive and marked with its secretref.VaultRef, which becomes a Secret with
// Ref set. A secret argument must be exactly one vault() call: a vault()
// inside a template or changed by a function is refused, because the value
// it stands for is only known when the configuration is applied.
//
// env(name) evaluates to the environment variable's value (empty when
// unset), marked Sensitive: Switchboard cannot know where the value ends up,
// so it is treated as a secret until the user says otherwise with
// nonsensitive(), e.g. url = nonsensitive(env("GLOW_URL")). The values of
// variables declared sensitive are marked Sensitive too. nonsensitive()
// leaves a string sensitive when it is, or holds, a credential of the run
// (LoadOptions.Credentials, GLOW_TOKEN, GATEFLOW_ADMIN_KEY, VAULT_TOKEN), so
// no configuration can print the token it runs with.
//
// Which sources each secret argument accepts:
//
//	key value, credentials      vault(), env()
//	token, admin_key            vault(), env(), a variable declared sensitive
//
// A variable is refused for keys and credentials because its value would
// sit in a var file or a shell history; tokens are per operator and are
// commonly passed as SWITCHBOARD_VAR_<name> in CI, so a sensitive variable
// is accepted there. A string written in a file is refused everywhere, with
// a message pointing to vault() (or env() for local work). A sensitive
// value in any other argument (a name, a URL, a for_each) is an error,
// since plans print those.
//
// Secrets reach the desired state only as Secret (a *secretref.VaultRef, or a
// sensitive.String read from the environment or a sensitive variable), whose
// every formatting shows where it comes from and never the value. Every
// value env() read and every sensitive variable's value is also cut out of
// diagnostics (values shorter than 4 bytes excepted), and a diagnostic whose
// source line holds one, or a literal key, is printed without that line.
// A function error may still describe part of a value (jsondecode names the
// first invalid character): the value itself never appears whole.
//
// # Variables
//
// Values come from, lowest precedence first: the default, the value a saved
// plan recorded (LoadOptions.PlannedVars), the environment variable
// SWITCHBOARD_VAR_<name>, the directory's switchboard.sbvars, its
// *.auto.sbvars files by name, each --var-file in order (HCL syntax, or JSON
// for *.json), and --var NAME=VALUE, as Terraform orders TF_VAR_,
// terraform.tfvars, *.auto.tfvars, -var-file and -var. A variable given a
// value in more than one of these gets a warning naming each and the one
// used. The directory's variable files are not *.hcl, so that they never
// parse as configuration (a *.hcl file holding only arguments gets a hint
// to rename it); they are not kept in Config.Files, since they may hold
// sensitive values a plan file must not embed, and they are not read when
// LoadOptions.FS is set (a saved plan recorded the values). Config.Variables
// records each final value and whether anything but the glow token and
// gateflow admin_key depends on it (Variable.CredentialOnly). Text values
// (--var, the environment) are taken as strings for primitive types and
// parsed as HCL expressions for lists, maps and objects, as in Terraform.
// All required variables without a value are reported in one error.
//
// # Expressions
//
// Expressions may use var.NAME, local.NAME, each.key and each.value (in a
// block with for_each), path.module, path.root and path.cwd; locals may
// refer to each other in any order, and a cycle is an error. The functions
// are Terraform 1.11's pure functions with its semantics (cty's standard
// library where Terraform uses it, and functions_terraform.go where it
// differs or cty has none: replace with a /regex/, lookup with a null
// default, one, sum, templatefile, fileset, yamldecode, sha256, base64encode,
// ...),
// checked against what terraform console prints (testdata/functions), plus
// env, vault and sensitive/nonsensitive. templatefile and the file*
// functions follow file()'s rules (see Files). Functions whose result is not
// fixed by the configuration and its inputs (timestamp, plantimestamp, uuid,
// bcrypt, abspath, pathexpand) are refused with the reason: a plan must be
// replayable by apply.
//
// for_each takes a set of strings or a map (or object); a list is refused
// (convert it with toset(), as in Terraform) so that no instance's address
// depends on an order. Instances are addressed like Terraform resources:
// glow_provider.per_department["cs"] (see Address).
//
// # Diagnostics
//
// Load reports every problem it finds in one run, sorted by position.
// They stay values: DiagnosticSnippet gives a renderer the source lines
// to show, and NewValidateJSON the form of `terraform validate -json`
// (the command line's views print both):
//
//	{"format_version": "1.0", "valid": false, "error_count": 1, "warning_count": 0,
//	 "diagnostics": [{"severity": "error", "summary": "…", "detail": "…",
//	   "range": {"filename": "main.hcl", "start": {"line": 2, "column": 9, "byte": 15},
//	             "end": {"line": 2, "column": 18, "byte": 24}}}]}
//
// range is absent for a diagnostic about no place in a file.
package config
