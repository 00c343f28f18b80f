package cudaemu

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/descent-ml/descent/cuda"
)

// ErrNoCompiler means g++ is not installed, so the kernels cannot be emulated.
var ErrNoCompiler = errors.New("cudaemu: g++ not found in PATH: the CUDA kernels cannot be emulated")

// compileFlags keep the float arithmetic as the PTX has it: IEEE, no fused
// multiply-adds. Fortified longjmp refuses to switch stacks, which the fibers
// do: distributions that fortify by default must not here.
var compileFlags = []string{"-std=c++17", "-O1", "-ffp-contract=off", "-fno-fast-math", "-U_FORTIFY_SOURCE", "-w"}

// kernelPattern finds the kernels of a .cu source.
var kernelPattern = regexp.MustCompile(`(?m)^KERNEL void (\w+)\(`)

// Emulator is a running driver process.
type Emulator struct {
	cmd    *exec.Cmd
	in     *bufio.Writer
	out    *bufio.Reader
	stdin  io.WriteCloser
	stderr bytes.Buffer
}

// Start builds the driver for the .cu sources in kernelsDir (kernels/ of the
// repository, which holds this package as cudaemu/) if no cached build
// exists, and starts it.
func Start(kernelsDir string) (*Emulator, error) {
	bin, err := build(kernelsDir)
	if err != nil {
		return nil, err
	}
	e := &Emulator{cmd: exec.Command(bin)}
	e.cmd.Stderr = &e.stderr
	if e.stdin, err = e.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := e.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("cudaemu: starting %s: %w", bin, err)
	}
	e.in, e.out = bufio.NewWriterSize(e.stdin, 1<<16), bufio.NewReaderSize(stdout, 1<<16)
	return e, nil
}

// emulation is what every build of the kernel emulation compiles: the
// kernels' sources, cuda_emu.h and the driver/ sources, with the include file
// of every .cu (EMU_SOURCES) and the registry of their kernels (EMU_REGISTRY).
type emulation struct {
	gxx                string
	kernelsDir, emuDir string
	hash               []byte // of the compiler's version, the flags and every source
	sources, registry  string
}

// gather reads the emulation's sources under kernelsDir (kernels/ of the
// repository, which holds this package as cudaemu/).
func gather(kernelsDir string) (*emulation, error) {
	gxx, err := exec.LookPath("g++")
	if err != nil {
		return nil, ErrNoCompiler
	}
	e := &emulation{gxx: gxx, kernelsDir: kernelsDir, emuDir: filepath.Join(kernelsDir, "cudaemu")}
	cus, err := filepath.Glob(filepath.Join(kernelsDir, "*.cu"))
	if err != nil || len(cus) == 0 {
		return nil, fmt.Errorf("cudaemu: no .cu sources in %s", kernelsDir)
	}
	headers, _ := filepath.Glob(filepath.Join(kernelsDir, "*.cuh"))
	driver, _ := filepath.Glob(filepath.Join(e.emuDir, "driver", "*"))
	sort.Strings(cus)
	sort.Strings(driver)
	version, err := exec.Command(gxx, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("cudaemu: %s --version: %w", gxx, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%q\n", version, compileFlags)
	var sources, registry strings.Builder
	for _, f := range append(append(append(append([]string{}, cus...), headers...), filepath.Join(e.emuDir, "cuda_emu.h")), driver...) {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cudaemu: %w", err)
		}
		fmt.Fprintf(h, "%s\n%d\n", filepath.Base(f), len(data))
		h.Write(data)
		if filepath.Ext(f) == ".cu" {
			abs, _ := filepath.Abs(f)
			fmt.Fprintf(&sources, "#include %q\n", abs)
			for _, m := range kernelPattern.FindAllSubmatch(data, -1) {
				fmt.Fprintf(&registry, "REGISTER(%s)\n", m[1])
			}
		}
	}
	e.hash, e.sources, e.registry = h.Sum(nil), sources.String(), registry.String()
	return e, nil
}

// compile runs g++ with the emulation's flags and args (sources, output,
// libraries), writing its generated includes into the scratch directory work.
func (e *emulation) compile(work string, args ...string) error {
	if err := os.WriteFile(filepath.Join(work, "sources.inc"), []byte(e.sources), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "registry.inc"), []byte(e.registry), 0o644); err != nil {
		return err
	}
	flags := append(append([]string{}, compileFlags...),
		"-I", work, "-I", e.emuDir, "-I", e.kernelsDir,
		`-DEMU_SOURCES="sources.inc"`, `-DEMU_REGISTRY="registry.inc"`)
	if out, err := exec.Command(e.gxx, append(flags, args...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("cudaemu: g++ %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// driverSource is the path of a driver/ source.
func (e *emulation) driverSource(name string) string { return filepath.Join(e.emuDir, "driver", name) }

// build compiles the driver into the cache, keyed by a hash of every source,
// the flags and the compiler's version, and returns the binary's path.
func build(kernelsDir string) (string, error) {
	e, err := gather(kernelsDir)
	if err != nil {
		return "", err
	}
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		cacheDir = os.TempDir()
	}
	dir := filepath.Join(cacheDir, "descent", "cuda-emu")
	bin := filepath.Join(dir, "driver-"+hex.EncodeToString(e.hash)[:16])
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	work, err := os.MkdirTemp("", "cudaemu-build")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	tmp := filepath.Join(work, "driver")
	if err := e.compile(work, e.driverSource("driver.cpp"), "-o", tmp); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Rename within one file system is atomic: concurrent test binaries race
	// harmlessly.
	staged := filepath.Join(dir, fmt.Sprintf(".driver-%d", os.Getpid()))
	data, err := os.ReadFile(tmp)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(staged, data, 0o755); err != nil {
		return "", err
	}
	return bin, os.Rename(staged, bin)
}

// Close stops the driver.
func (e *Emulator) Close() error {
	e.stdin.Close()
	return e.cmd.Wait()
}

func (e *Emulator) put(vs ...any) {
	for _, v := range vs {
		binary.Write(e.in, binary.LittleEndian, v)
	}
}

// reply flushes the request and reads the status.
func (e *Emulator) reply(what string) error {
	if err := e.in.Flush(); err != nil {
		return e.crashed(what, err)
	}
	var status uint32
	if err := binary.Read(e.out, binary.LittleEndian, &status); err != nil {
		return e.crashed(what, err)
	}
	if status == 0 {
		return nil
	}
	var n uint32
	if err := binary.Read(e.out, binary.LittleEndian, &n); err != nil {
		return e.crashed(what, err)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(e.out, msg); err != nil {
		return e.crashed(what, err)
	}
	return fmt.Errorf("cudaemu: %s: %s", what, msg)
}

func (e *Emulator) crashed(what string, err error) error {
	e.cmd.Wait()
	return fmt.Errorf("cudaemu: the driver died during %s (%v): %s", what, err, strings.TrimSpace(e.stderr.String()))
}

// Alloc returns bytes of fresh memory, filled with NaN.
func (e *Emulator) Alloc(bytes int64) (cuda.Ptr, error) {
	e.put(byte('A'), uint64(bytes))
	if err := e.reply("alloc"); err != nil {
		return 0, err
	}
	var p uint64
	if err := binary.Read(e.out, binary.LittleEndian, &p); err != nil {
		return 0, e.crashed("alloc", err)
	}
	return cuda.Ptr(p), nil
}

// Free releases memory from Alloc.
func (e *Emulator) Free(p cuda.Ptr) error {
	e.put(byte('F'), uint64(p))
	return e.reply("free")
}

// UploadBytes copies src to dst.
func (e *Emulator) UploadBytes(dst cuda.Ptr, src []byte) error {
	e.put(byte('W'), uint64(dst), uint64(len(src)))
	e.in.Write(src)
	return e.reply("upload")
}

// DownloadBytes copies len(dst) bytes from src.
func (e *Emulator) DownloadBytes(dst []byte, src cuda.Ptr) error {
	e.put(byte('R'), uint64(src), uint64(len(dst)))
	if err := e.reply("download"); err != nil {
		return err
	}
	if _, err := io.ReadFull(e.out, dst); err != nil {
		return e.crashed("download", err)
	}
	return nil
}

// Upload copies floats to dst.
func (e *Emulator) Upload(dst cuda.Ptr, src []float32) error {
	buf := make([]byte, 4*len(src))
	for i, v := range src {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return e.UploadBytes(dst, buf)
}

// Download copies len(dst) floats from src.
func (e *Emulator) Download(dst []float32, src cuda.Ptr) error {
	buf := make([]byte, 4*len(dst))
	if err := e.DownloadBytes(buf, src); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return nil
}

// Launch runs l to completion.
func (e *Emulator) Launch(l cuda.Launch) error {
	g, b := l.Grid, l.Block
	e.put(byte('L'), uint32(len(l.Kernel)), []byte(l.Kernel),
		uint32(max(g.X, 1)), uint32(max(g.Y, 1)), uint32(max(g.Z, 1)),
		uint32(max(b.X, 1)), uint32(max(b.Y, 1)), uint32(max(b.Z, 1)),
		uint32(l.Shared), uint32(len(l.Args)))
	for _, a := range l.Args {
		e.put(uint64(a))
	}
	return e.reply(l.String())
}

// Gemm runs the column-major SGEMM g as cublasSgemm would.
func (e *Emulator) Gemm(g cuda.ColMajor, alpha, beta float32) error {
	flag := func(b bool) uint32 {
		if b {
			return 1
		}
		return 0
	}
	e.put(byte('G'), flag(g.TransA), flag(g.TransB), int32(g.M), int32(g.N), int32(g.K), alpha,
		uint64(g.A), int32(g.LDA), uint64(g.B), int32(g.LDB), beta, uint64(g.C), int32(g.LDC))
	return e.reply(fmt.Sprintf("sgemm(m=%d n=%d k=%d)", g.M, g.N, g.K))
}
