// Package scripts holds the repository's shell scripts, not Go code: fetching
// the CUDA headers, generating the PTX, and gpu-check.sh, which builds the gpu
// binaries here and writes the scripts that run them on a GPU host within one
// deadline (gpu-steps.sh). Its tests run those scripts with stand-in binaries.
package scripts
