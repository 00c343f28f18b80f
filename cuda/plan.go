package cuda

// Alignment is the byte alignment of every region a Plan hands out: cuMemAlloc's
// own alignment, enough for any vector load and for cuBLAS.
const Alignment = 256

// Plan lays out regions inside one device allocation (an arena): each Reserve
// returns the offset of a new, aligned region. A program's buffer plan reserves
// its persistent and activation buffers up front, so that one cuMemAlloc serves a
// whole run and no allocation happens while kernels are in flight.
type Plan struct{ size int64 }

// Reserve adds a region of bytes and returns its offset from the arena's base.
func (p *Plan) Reserve(bytes int64) int64 {
	off := (p.size + Alignment - 1) / Alignment * Alignment
	p.size = off + bytes
	return off
}

// Size is the number of bytes the arena needs.
func (p *Plan) Size() int64 { return p.size }
