#!/usr/bin/env bash
# fetch-cuda-headers.sh — get what a `-tags gpu` build links against, without
# installing anything: cuda.h and the libcuda.so link stub from Debian's non-free
# nvidia-cuda-dev (CUDA 11.8) package, extracted into a cache outside the repo.
#
#   eval "$(scripts/fetch-cuda-headers.sh)"    # sets CGO_CFLAGS and CGO_LDFLAGS
#   go build -tags gpu ./...
#
# The cache is ${DESCENT_CUDA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/descent-cuda};
# a second run only prints the environment. Needs apt (Debian bookworm) and, the
# first time, root to enable the non-free component. NVIDIA's files never enter
# the repository. The binaries built this way need libcuda.so.1 (the driver) at
# run time, and `gorgonia.org/cu` exits at start-up on a machine without a GPU.
set -euo pipefail

cache="${DESCENT_CUDA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/descent-cuda}"
header="$cache/usr/include/cuda.h"
stub="$cache/usr/lib/x86_64-linux-gnu/stubs/libcuda.so"

log() { echo "fetch-cuda-headers: $*" >&2; }

if [[ ! -f "$header" || ! -f "$stub" ]]; then
	mkdir -p "$cache"
	if ! apt-cache show nvidia-cuda-dev >/dev/null 2>&1; then
		log "enabling Debian's non-free component for nvidia-cuda-dev"
		src=/etc/apt/sources.list.d/debian.sources
		if [[ -f "$src" ]]; then
			sed -i -E '/^Components:/{/non-free( |$)/!s/$/ non-free/}' "$src"
		else
			sed -i -E '/^deb .*debian/{/non-free( |$)/!s/$/ non-free/}' /etc/apt/sources.list
		fi
		apt-get update -qq >&2
	fi
	work="$(mktemp -d)"
	chmod 777 "$work" # apt-get download writes as the unprivileged _apt user
	trap 'rm -rf "$work"' EXIT
	log "downloading nvidia-cuda-dev into $work"
	(cd "$work" && apt-get download -qq nvidia-cuda-dev >&2)
	deb=("$work"/nvidia-cuda-dev_*.deb)
	log "extracting cuda.h and the libcuda.so stub into $cache"
	dpkg-deb --fsys-tarfile "${deb[0]}" |
		tar -x -C "$cache" ./usr/include/cuda.h ./usr/lib/x86_64-linux-gnu/stubs/libcuda.so
fi

echo "export CGO_ENABLED=1"
echo "export CGO_CFLAGS='-I$cache/usr/include'"
echo "export CGO_LDFLAGS='-L$cache/usr/lib/x86_64-linux-gnu/stubs'"
