#!/usr/bin/env bash
# make demo-environments: staging and prod (examples/environments) over two
# emulators and one real Vault dev server: plan and apply both, show that
# prod's plan is unchanged by staging's apply, then tear down.
set -euo pipefail
cd "$(dirname "$0")/.."

SB=$PWD/bin/switchboard
WORK=$PWD/.demo-environments
rm -rf "$WORK" && mkdir -p "$WORK"
# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh

run() { local shown="$*"; printf "\$ %s\n" "${shown/#$SB/switchboard}"; "$@"; }

step "Starting Vault (bin/vault-dev) and two emulators: staging and prod"
bin/vault-dev -dev-listen-address 127.0.0.1:0 -dev-root-token-id demo-root >"$WORK/vault.out" 2>"$WORK/vault.log" &
pids+=($!)
for env in staging prod; do
  $SB emulator --addr 127.0.0.1:0 --data "$WORK/emulator-$env" >"$WORK/emulator-$env.out" 2>&1 &
  pids+=($!)
done
wait_for "$WORK/vault.out" VAULT_TOKEN=
wait_for "$WORK/emulator-staging.out" "listening on"
wait_for "$WORK/emulator-prod.out" "listening on"
export $(grep -E '^VAULT_(ADDR|TOKEN)=' "$WORK/vault.out")
staging=$(grep -o 'http://[0-9.:]*' "$WORK/emulator-staging.out" | head -1)
prod=$(grep -o 'http://[0-9.:]*' "$WORK/emulator-prod.out" | head -1)
export GLOW_TOKEN=glow-dev-token GATEFLOW_ADMIN_KEY=gw_admin_dev SWITCHBOARD_VAR_vault_addr=$VAULT_ADDR
echo "Vault at $VAULT_ADDR, staging at $staging, prod at $prod"

vault_put() { # path json: write a KV v2 secret through Vault's HTTP API
  curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" -X POST "$VAULT_ADDR/v1/secret/data/$1" -d "{\"data\": $2}" >/dev/null
}
vault_put staging/llm/openai '{"api_key": "sk-demo-staging-0001"}'
vault_put prod/llm/openai '{"api_key": "sk-demo-prod-0001"}'

cp -r examples/environments "$WORK/repo"
cd "$WORK/repo"
at() { # at ENV: point the settings variables at ENV's emulator
  local url=$staging
  [ "$1" = prod ] && url=$prod
  export SWITCHBOARD_VAR_glow_url=$url SWITCHBOARD_VAR_gateflow_url=$url
}

step "Plan prod and save the plan (3 teams)"
at prod
run $SB plan --out prod.sbplan environments/prod

step "Plan and apply staging (2 teams, the same shared module)"
at staging
run $SB plan --out staging.sbplan environments/staging
run $SB apply staging.sbplan

step "Prod's plan after staging's apply: unchanged, and the saved prod plan still applies"
at prod
run $SB plan environments/prod
run $SB apply prod.sbplan

step "Both environments converge"
at staging
run $SB plan --detailed-exitcode environments/staging
at prod
run $SB plan --detailed-exitcode environments/prod

step "Done; stopping Vault and the emulators"
