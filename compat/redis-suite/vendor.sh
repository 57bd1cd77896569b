#!/usr/bin/env bash
# Re-vendors the part of Redis's test suite that compat/redis-suite runs, from
# a Redis git repository at the tag the suite is pinned to. The files are kept
# as released (BSD-3, see tcl/COPYING); what the runner changes for an
# external server is listed in harness-edits.ts, applied to a temporary copy.
# Usage: compat/redis-suite/vendor.sh /path/to/redis.git
set -euo pipefail
repo="${1:?usage: vendor.sh <redis git repo>}"
tag="7.0.15"
dest="$(cd "$(dirname "$0")" && pwd)/tcl"
files=(
  COPYING
  tests/test_helper.tcl
  tests/support/redis.tcl
  tests/support/aofmanifest.tcl
  tests/support/server.tcl
  tests/support/cluster_helper.tcl
  tests/support/tmpfile.tcl
  tests/support/test.tcl
  tests/support/util.tcl
  tests/unit/scripting.tcl
  tests/unit/pubsub.tcl
)
rm -rf "$dest"
mkdir -p "$dest"
git -C "$repo" archive "$tag" "${files[@]}" | tar -x -C "$dest"
echo "$tag $(git -C "$repo" rev-parse "$tag^{commit}")" > "$dest/VERSION"
