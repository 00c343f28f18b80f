// Package cputime reads the CPU time the process has used (user and system,
// all threads: Seconds), so that benchmarks — train bench -loader and
// the loader benchmarks of augment and data — can report throughput per CPU
// second: a figure that stays meaningful on a machine shared with other work,
// where wall time depends on the load. Linux and other Unix systems only
// (getrusage).
package cputime
