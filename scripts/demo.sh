#!/usr/bin/env bash
# make demo: the whole Switchboard loop on a fresh machine, against a local
# emulator of Glow and Gateflow and a real Vault dev server, then tear down.
set -euo pipefail
cd "$(dirname "$0")/.."

SB=bin/switchboard
WORK=.demo
rm -rf "$WORK" && mkdir -p "$WORK"
# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh

run() { printf '$ %s\n' "$*"; "$@"; }

step "Starting Vault (bin/vault-dev) and the Switchboard emulator"
bin/vault-dev -dev-listen-address 127.0.0.1:0 -dev-root-token-id demo-root >"$WORK/vault.out" 2>"$WORK/vault.log" &
pids+=($!)
$SB emulator --addr 127.0.0.1:0 --data "$WORK/emulator" >"$WORK/emulator.out" 2>&1 &
pids+=($!)
wait_for "$WORK/vault.out" VAULT_TOKEN=
wait_for "$WORK/emulator.out" "listening on"
export $(grep -E '^VAULT_(ADDR|TOKEN)=' "$WORK/vault.out")
url=$(grep -o 'http://[0-9.:]*' "$WORK/emulator.out" | head -1)
export GLOW_INSTANCE_URL=$url GATEFLOW_URL=$url GLOW_TOKEN=glow-dev-token GATEFLOW_ADMIN_KEY=gw_admin_dev
echo "Vault at $VAULT_ADDR, Glow and Gateflow at $url"

vault_put() { # path json: write a KV v2 secret through Vault's HTTP API
  curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" -X POST "$VAULT_ADDR/v1/secret/data/$1" -d "{\"data\": $2}" >/dev/null
}

step "Writing the demo API key into Vault (secret/llm/openai, version 1)"
vault_put llm/openai '{"api_key": "sk-demo-first-key-0001"}'

cfg="$WORK/config"
cp -r examples/basic "$cfg"

step "validate"
run $SB validate "$cfg"

step "plan"
run $SB plan "$cfg"

step "apply --auto-approve"
run $SB apply --auto-approve "$cfg"

step "Changing a value in the configuration (timeout_s 30 -> 45): the plan shows an update"
sed -i 's/timeout_s = "30"/timeout_s = "45"/' "$cfg/main.hcl"
run $SB plan "$cfg"

step "Rotating the key in Vault (version 2): the plan shows the rotation, from metadata only"
vault_put llm/openai '{"api_key": "sk-demo-second-key-0002"}'
run $SB plan "$cfg"

step "apply --auto-approve"
run $SB apply --auto-approve "$cfg"

step "The next plan is empty"
run $SB plan --detailed-exitcode "$cfg"

step "Decrypt calls made by Switchboard (from the emulator's stats)"
curl -fsS "$url/_emulator/stats" | grep -o '"decrypts":[0-9]*'

step "Done; stopping Vault and the emulator"
