#!/usr/bin/env bash
# ptx-sources-hash.sh — print the hash that ties kernels/ptx/descent.ptx to its
# sources: SHA-256 over kernels/*.cu and kernels/*.cuh in byte order of their
# names, each as its name, a newline, then its contents. kernels/ptx's
# freshness test computes the same in Go.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in $(cd kernels && LC_ALL=C ls *.cu *.cuh | LC_ALL=C sort); do
	printf '%s\n' "$f"
	cat "kernels/$f"
done | sha256sum | cut -d' ' -f1
