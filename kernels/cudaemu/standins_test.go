package cudaemu

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUnimplementedDriverFunctionsAbortNamingThemselves checks the stubs of
// the libcuda test double: a driver function that a binary imports and the
// double does not define is found, and its stub aborts naming it.
func TestUnimplementedDriverFunctionsAbortNamingThemselves(t *testing.T) {
	gxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip(ErrNoCompiler.Error())
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run := func(args ...string) {
		if out, err := exec.Command(gxx, args...).CombinedOutput(); err != nil {
			t.Fatalf("g++ %v: %v\n%s", args, err, out)
		}
	}
	// The double defines cuInit; the program also imports cuMemAlloc_v2 and
	// cuStreamQuery, and getenv, which is no driver function.
	double := filepath.Join(dir, "double.o")
	run("-fPIC", "-c", "-o", double, write("double.cpp", `extern "C" int cuInit(unsigned) { return 0; }`))
	program := filepath.Join(dir, "program.so")
	run("-fPIC", "-shared", "-o", program, write("program.cpp", `#include <stdlib.h>
extern "C" int cuInit(unsigned);
extern "C" int cuMemAlloc_v2(void*, unsigned long);
extern "C" int cuStreamQuery(void*);
extern "C" int use() { return cuInit(0) + cuMemAlloc_v2(0, 1) + cuStreamQuery(0) + (getenv("X") != 0); }`))

	names, err := unimplemented(double, []string{program})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cuMemAlloc_v2", "cuStreamQuery"}; !slices.Equal(names, want) {
		t.Fatalf("unimplemented: %v, want %v", names, want)
	}

	caller := filepath.Join(dir, "caller")
	run("-o", caller, write("stubs.cpp", stubProgram(names)),
		write("main.cpp", `extern "C" int cuStreamQuery(void*); int main() { return cuStreamQuery(0); }`))
	out, err := exec.Command(caller).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cuStreamQuery is not implemented") {
		t.Fatalf("calling a stub: %v, output %q; want an abort naming cuStreamQuery", err, out)
	}
}
