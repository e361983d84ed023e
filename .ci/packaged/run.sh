#!/usr/bin/env bash
# Packages squonk2 and squonk2-sandbox as they would be published, unpacks the .crate files,
# and runs a user's crate (this directory's template) against them, outside the workspace.
# Usage: bash .ci/packaged/run.sh   (from anywhere; reuses the workspace's target directory)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

# `cargo pkgid` ends in NAME@VERSION.
version="$(cargo pkgid -p squonk2)" && version="${version##*@}"
sandbox_version="$(cargo pkgid -p squonk2-sandbox)" && sandbox_version="${sandbox_version##*@}"
if [ "$version" != "$sandbox_version" ]; then
  echo "squonk2 is $version but squonk2-sandbox is $sandbox_version: they are released together" >&2
  exit 1
fi

# Both at once: cargo resolves squonk2's dev-dependency on squonk2-sandbox against the
# package being made, since squonk2-sandbox is not on crates.io yet.
cargo package --no-verify --allow-dirty -p squonk2-sandbox -p squonk2

scratch="$(mktemp -d "${TMPDIR:-/tmp}/squonk2-packaged.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/unpacked" "$scratch/user"
for name in squonk2 squonk2-sandbox; do
  tar -xzf "target/package/$name-$version.crate" -C "$scratch/unpacked"
done
sed -e "s|@UNPACKED@|$scratch/unpacked|g" -e "s|@VERSION@|$version|g" \
  .ci/packaged/Cargo.toml.in >"$scratch/user/Cargo.toml"
cp -r .ci/packaged/src .ci/packaged/tests "$scratch/user/"
# The workspace's lock file: the same dependency versions, so the build reuses what the
# workspace build compiled (same target directory) and needs no new downloads.
cp Cargo.lock "$scratch/user/"

cd "$scratch/user"
offline=()
if cargo fetch --offline >/dev/null 2>&1; then offline=(--offline); fi
CARGO_TARGET_DIR="$root/target" cargo test "${offline[@]}" --test sandbox
