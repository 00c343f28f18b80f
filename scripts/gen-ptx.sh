#!/usr/bin/env bash
# gen-ptx.sh — compile kernels/*.cu into kernels/ptx/descent.ptx (one module,
# PTX for compute_80, which the driver JIT-compiles on A100, H100 and later) and
# record the hash of the sources it came from in kernels/ptx/sources.sha256.
# Commit both: the gpu build embeds the PTX, and a CPU test compares the hash
# with the sources, so CI notices a .cu change without regenerated PTX.
#
# Needs nvcc: Debian bookworm's nvidia-cuda-toolkit (11.8, non-free) works:
#   apt-get install -y nvidia-cuda-toolkit       # after enabling non-free
# NVCC selects another nvcc; NVCC_FLAGS adds flags (e.g. -ccbin g++-11).
#
# Flags: -std=c++17 for descent.cuh's index loops (an if with an initializer);
# -fmad=false keeps a·b + c two roundings as in the Go twins;
# -prec-div/-prec-sqrt/-ftz=false are nvcc's defaults, spelled out because the
# kernels rely on IEEE division, square root and subnormals.
set -euo pipefail
cd "$(dirname "$0")/.."

nvcc="${NVCC:-nvcc}"
flags=(-ptx -arch=compute_80 -std=c++17 -fmad=false -prec-div=true -prec-sqrt=true -ftz=false)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for f in $(LC_ALL=C ls kernels/*.cu); do
	echo "#include \"$PWD/$f\""
done >"$work/descent.cu"

# shellcheck disable=SC2086
"$nvcc" "${flags[@]}" ${NVCC_FLAGS:-} -I kernels -o "$work/descent.ptx" "$work/descent.cu"
mkdir -p kernels/ptx
cp "$work/descent.ptx" kernels/ptx/descent.ptx
bash scripts/ptx-sources-hash.sh >kernels/ptx/sources.sha256
echo "gen-ptx: wrote kernels/ptx/descent.ptx ($(grep -c '^\.visible \.entry' kernels/ptx/descent.ptx) kernels) with $("$nvcc" --version | tail -1)" >&2
