#!/usr/bin/env bash
# Packages squonk2, squonk2-sandbox and squonk2-cli as they would be published, unpacks the
# .crate files, builds the command line from its package, and runs a user's crate (this
# directory's template) against them, outside the workspace: its test calls the sandbox
# through squonk2 and through the packaged `squonk2` binary.
# Usage: bash .ci/packaged/run.sh   (from anywhere; reuses the workspace's target directory)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

# `cargo pkgid` ends in NAME@VERSION.
version="$(cargo pkgid -p squonk2)" && version="${version##*@}"
sandbox_version="$(cargo pkgid -p squonk2-sandbox)" && sandbox_version="${sandbox_version##*@}"
cli_version="$(cargo pkgid -p squonk2-cli)" && cli_version="${cli_version##*@}"
if [ "$version" != "$sandbox_version" ] || [ "$version" != "$cli_version" ]; then
  echo "squonk2 is $version, squonk2-sandbox $sandbox_version, squonk2-cli $cli_version: they are released together" >&2
  exit 1
fi

# Both at once: cargo resolves squonk2's dev-dependency on squonk2-sandbox against the
# package being made, since squonk2-sandbox is not on crates.io yet.
cargo package --no-verify --allow-dirty -p squonk2-sandbox -p squonk2 -p squonk2-cli

scratch="$(mktemp -d "${TMPDIR:-/tmp}/squonk2-packaged.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/unpacked" "$scratch/user"
for name in squonk2 squonk2-sandbox squonk2-cli; do
  tar -xzf "target/package/$name-$version.crate" -C "$scratch/unpacked"
done
sed -e "s|@UNPACKED@|$scratch/unpacked|g" -e "s|@VERSION@|$version|g" \
  .ci/packaged/Cargo.toml.in >"$scratch/user/Cargo.toml"
cp -r .ci/packaged/src .ci/packaged/tests "$scratch/user/"
# The workspace's lock file: the same dependency versions, so the build reuses what the
# workspace build compiled (same target directory) and needs no new downloads.
cp Cargo.lock "$scratch/user/"

# The command line as `cargo install squonk2-cli` builds it: its packaged sources, with
# squonk2 from its package too (not on crates.io yet).
cli="$scratch/unpacked/squonk2-cli-$version"
cat >>"$cli/Cargo.toml" <<PATCH

[patch.crates-io]
squonk2 = { path = "$scratch/unpacked/squonk2-$version" }
squonk2-sandbox = { path = "$scratch/unpacked/squonk2-sandbox-$version" }
PATCH
cp Cargo.lock "$cli/"

cd "$scratch/user"
offline=()
if cargo fetch --offline >/dev/null 2>&1; then offline=(--offline); fi
# A target directory of its own: in the workspace's, this binary would replace the
# workspace's target/debug/squonk2.
(cd "$cli" && CARGO_TARGET_DIR="$root/target/packaged-cli" cargo build "${offline[@]}")
SQUONK2_PACKAGED_CLI="$root/target/packaged-cli/debug/squonk2" \
  CARGO_TARGET_DIR="$root/target" cargo test "${offline[@]}" --test sandbox
