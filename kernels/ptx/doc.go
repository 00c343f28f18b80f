// Package ptx holds Descent's CUDA kernels compiled to PTX: descent.ptx, one
// module generated from kernels/*.cu by scripts/gen-ptx.sh (nvcc, compute_80)
// and committed, so that building the gpu binaries needs no CUDA compiler. The
// gpu build embeds it as Module. sources.sha256 records the hash of the .cu
// sources the PTX came from; a test of the default build recomputes it, so CI
// fails when a kernel changes and the PTX is not regenerated.
package ptx
