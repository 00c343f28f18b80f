// Package scripts holds the repository's shell scripts, not Go code: fetching
// the CUDA headers, generating the PTX, and gpu-check.sh, which builds the gpu
// binaries here and writes the scripts that run them on a GPU host within one
// deadline (gpu-steps.sh), and readme-figures.sh, which runs every benchmark
// command whose output the README quotes. Its tests run the gpu scripts with
// stand-in binaries.
package scripts
