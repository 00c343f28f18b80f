package cuda

import (
	"fmt"
	"math"
)

// Ptr is a device address. Arithmetic on it is byte arithmetic.
type Ptr uint64

// Add returns p advanced by bytes.
func (p Ptr) Add(bytes int64) Ptr { return p + Ptr(bytes) }

// F32 returns p advanced by i float32 elements.
func (p Ptr) F32(i int) Ptr { return p + Ptr(4*i) }

// Dim3 is a grid or block size; zero components count as 1.
type Dim3 struct{ X, Y, Z int }

func (d Dim3) norm() Dim3 {
	return Dim3{max(d.X, 1), max(d.Y, 1), max(d.Z, 1)}
}

// Threads is the number of threads (or blocks) d describes.
func (d Dim3) Threads() int { n := d.norm(); return n.X * n.Y * n.Z }

// Arg is one kernel argument as cu's Function.Launch passes it: every argument
// occupies an 8-byte slot, from which the driver reads as many bytes as the
// kernel's parameter has. Pointers and 64-bit scalars fill the slot; 4-byte
// scalars sit in its low half (the first four bytes, little-endian).
type Arg uint64

// PtrArg passes a device pointer (NULL is Ptr(0)).
func PtrArg(p Ptr) Arg { return Arg(p) }

// IntArg passes a C int. Sizes beyond int32 are a caller's bug: Descent checks
// tensor sizes when it plans a program, so this panics.
func IntArg(v int) Arg {
	if v < math.MinInt32 || v > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: kernel argument %d does not fit a C int", v))
	}
	return Arg(uint32(int32(v)))
}

// F32Arg passes a C float.
func F32Arg(v float32) Arg { return Arg(math.Float32bits(v)) }

// F64Arg passes a C double.
func F64Arg(v float64) Arg { return Arg(math.Float64bits(v)) }

// Launch is one kernel launch: the kernel's name in the PTX module, its grid
// and block, the bytes of dynamic shared memory and the arguments in order.
type Launch struct {
	Kernel      string
	Grid, Block Dim3
	Shared      int
	Args        []Arg
}

func (l Launch) String() string {
	g, b := l.Grid.norm(), l.Block.norm()
	return fmt.Sprintf("%s<<<(%d,%d,%d),(%d,%d,%d)>>>", l.Kernel, g.X, g.Y, g.Z, b.X, b.Y, b.Z)
}

// Linear returns a launch of kernel with one thread per index in [0, n), in
// blocks of block threads.
func Linear(kernel string, n, block int, args ...Arg) Launch {
	return Launch{Kernel: kernel, Grid: Dim3{X: max(1, (n+block-1)/block)}, Block: Dim3{X: block}, Args: args}
}
