//go:build sweepdev

package main

import ("os";"strings";"testing")

func TestDevSweep(t *testing.T) {
	args := strings.Fields(os.Getenv("SWEEP_ARGS"))
	if err := sweepCommand(args); err != nil { t.Fatal(err) }
}
