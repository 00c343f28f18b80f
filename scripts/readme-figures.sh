#!/usr/bin/env bash
# readme-figures.sh — run every command whose output the README's performance
# sections quote, one after another, and keep each output in a folder
# (default: bench-out/, ignored by git): on a quiet machine, nothing else
# running, since Descent and PyTorch take turns on the same cores and
# PyTorch's OpenMP threads collapse when another process competes for them.
#
#   bash scripts/readme-figures.sh [OUT]      # about 40 minutes on two cores
#
# Needs Debian's python3-torch (the comparisons); a command that fails leaves
# its error in its file and the script goes on.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench-out}"
mkdir -p "$out"
go build -o "$out/train" ./cmd/train || exit 1

step() {
	local name=$1
	shift
	echo "== $name: $*"
	local start=$SECONDS
	"$@" >"$out/$name.txt" 2>&1 || echo "   failed, see $out/$name.txt"
	echo "   $((SECONDS - start)) s"
}

step compare "$out/train" bench -compare -optimizers adam -norms none -json "$out/compare.json"
step torchvision "$out/train" bench -compare -quick -repeats 5 -steps 2 -models resnet18,mobilenet_v2,resnet50 -optimizers sgd -norms batch
step time-to "$out/train" bench -time-to 99.0
step time-to-fastest "$out/train" bench -time-to 99.0 -recipe "-filters 16,32 -schedule onecycle -max-lr 0.01 -epochs 1"
step conv bash -c "go test -run '^\$' -bench ConvShapes -count 3 ./kernels | /usr/bin/python3 bench/pytorch/conv.py --descent -"
step quick "$out/train" bench -quick -png docs/bench/quick_cpu.png
step loader "$out/train" bench -loader -loader-images 256 -loader-epochs 2
