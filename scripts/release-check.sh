#!/usr/bin/env bash
# goreleaser's first hook: a release is cut from a tag that names the
# VERSION file's number, so that a binary built by `make` from the tagged
# commit and the released one say the same version. Snapshots skip it.
set -euo pipefail
version=$1 snapshot=$2
if [ "$snapshot" = true ]; then
  exit 0
fi
want=$(cat VERSION)
if [ "$version" != "$want" ]; then
  echo "release-check: the tag says $version, the VERSION file says $want: tag v$want, or change VERSION first" >&2
  exit 1
fi
if ! grep -q "^## \[$want\]" CHANGELOG.md; then
  echo "release-check: CHANGELOG.md has no section \"## [$want]\": move Unreleased there first" >&2
  exit 1
fi
