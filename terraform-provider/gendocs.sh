#!/usr/bin/env bash
# Generates the provider's documentation with tfplugindocs into OUTDIR
# (default docs/terraform-provider), from the schema descriptions and the
# examples/ files. Run from the repository root; needs terraform on PATH (or
# $TERRAFORM) and bin/tfplugindocs.
#
# tfplugindocs would otherwise build the provider itself and may download
# Terraform; here it gets the schema from `terraform providers schema -json`
# run against the provider built from this tree through dev_overrides, so
# nothing is downloaded.
set -euo pipefail

out=${1:-docs/terraform-provider}
terraform=${TERRAFORM:-$(command -v terraform || echo /usr/local/bin/terraform)}
tfplugindocs=${TFPLUGINDOCS:-bin/tfplugindocs}
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/plugins" "$tmp/empty-mirror" "$tmp/work"
go build -o "$tmp/plugins/terraform-provider-switchboard" ./cmd/terraform-provider-switchboard
cat > "$tmp/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "switchboard-hq/switchboard" = "$tmp/plugins"
  }
  filesystem_mirror {
    path = "$tmp/empty-mirror"
  }
}
EOF
cat > "$tmp/work/main.tf" <<'EOF'
terraform {
  required_providers {
    switchboard = {
      source = "switchboard-hq/switchboard"
    }
  }
}
EOF
(cd "$tmp/work" && TF_CLI_CONFIG_FILE="$tmp/terraformrc" CHECKPOINT_DISABLE=1 \
  "$terraform" providers schema -json >"$tmp/schema.json" 2>"$tmp/schema.err") || {
  cat "$tmp/schema.err" >&2
  exit 1
}

# tfplugindocs looks a schema up by the provider's short name (or under the
# hashicorp namespace), not under our registry address.
sed -i 's#"registry.terraform.io/switchboard-hq/switchboard"#"switchboard"#' "$tmp/schema.json"

# tfplugindocs joins --rendered-website-dir to --provider-dir even when it
# is absolute, so it gets a relative path.
mkdir -p "$out"
out=$(realpath --relative-to="$root" "$out")
rm -rf "$root/$out"
"$tfplugindocs" generate \
  --provider-dir "$root" \
  --provider-name switchboard \
  --rendered-provider-name Switchboard \
  --providers-schema "$tmp/schema.json" \
  --examples-dir examples \
  --website-source-dir terraform-provider/templates \
  --website-temp-dir "$tmp/website" \
  --rendered-website-dir "$out"
