package cuda

import (
	"math"
	"testing"
)

func TestArgsFillTheSlotAsTheDriverReadsIt(t *testing.T) {
	// The driver reads sizeof(param) bytes from each 8-byte slot: the low half
	// (little-endian) for 4-byte parameters.
	if got := uint32(IntArg(-2)); int32(got) != -2 {
		t.Errorf("IntArg(-2) low half = %#x", got)
	}
	if got := IntArg(-2) >> 32; got != 0 {
		t.Errorf("IntArg(-2) high half = %#x, want 0", got)
	}
	if got := math.Float32frombits(uint32(F32Arg(1.5))); got != 1.5 {
		t.Errorf("F32Arg(1.5) reads back as %v", got)
	}
	if got := math.Float64frombits(uint64(F64Arg(-0.25))); got != -0.25 {
		t.Errorf("F64Arg(-0.25) reads back as %v", got)
	}
	if got := PtrArg(Ptr(0xdeadbeef00)); uint64(got) != 0xdeadbeef00 {
		t.Errorf("PtrArg = %#x", uint64(got))
	}
	defer func() {
		if recover() == nil {
			t.Error("IntArg(1<<31) did not panic")
		}
	}()
	IntArg(1 << 31)
}

func TestLinearCoversEveryIndex(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 100000} {
		l := Linear("k", n, 256)
		if threads := l.Grid.Threads() * l.Block.Threads(); threads < n || (n > 0 && threads-n >= 256) || l.Grid.X < 1 {
			t.Errorf("n=%d: grid %+v × block %+v", n, l.Grid, l.Block)
		}
	}
}

func TestPlanAlignsRegions(t *testing.T) {
	var p Plan
	sizes := []int64{10, 1, Alignment, 0, 3}
	offsets := make([]int64, len(sizes))
	for i, size := range sizes {
		offsets[i] = p.Reserve(size)
	}
	for i, off := range offsets {
		if off%Alignment != 0 {
			t.Errorf("region %d at %d, not a multiple of %d", i, off, Alignment)
		}
		if i > 0 && off < offsets[i-1]+sizes[i-1] {
			t.Errorf("region %d at %d overlaps region %d at %d of %d bytes", i, off, i-1, offsets[i-1], sizes[i-1])
		}
	}
	if want := offsets[4] + 3; p.Size() != want {
		t.Errorf("size %d, want %d", p.Size(), want)
	}
}

func TestRowMajorGemmSwapsOperands(t *testing.T) {
	g := RowMajorGemm(true, false, 2, 3, 4, Ptr(1), 5, Ptr(2), 6, Ptr(3), 7)
	want := ColMajor{TransA: false, TransB: true, M: 3, N: 2, K: 4, A: 2, LDA: 6, B: 1, LDB: 5, C: 3, LDC: 7}
	if g != want {
		t.Errorf("got %+v, want %+v", g, want)
	}
}
