package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// convTestShapes cover stride, padding, dilation, asymmetric settings, odd sizes
// and 1×1 filters; batches spread over several lanes, with one image per GEMM
// or (small outputs) groups of images, the last group smaller.
var convTestShapes = []ConvShape{
	{N: 2, C: 3, H: 7, W: 7, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 2, H: 9, W: 8, K: 5, R: 3, S: 2, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 2, H: 10, W: 9, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2},
	{N: 5, C: 1, H: 5, W: 6, K: 3, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 2, C: 4, H: 7, W: 5, K: 6, R: 1, S: 1, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 2, C: 3, H: 8, W: 11, K: 2, R: 2, S: 3, StrideH: 2, StrideW: 1, PadH: 0, PadW: 2, DilationH: 1, DilationW: 2},
	{N: 1, C: 2, H: 4, W: 4, K: 2, R: 3, S: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 13, C: 16, H: 16, W: 16, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 1, H: 28, W: 28, K: 32, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 11, C: 3, H: 5, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 40, C: 2, H: 6, W: 6, K: 3, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	// grouped: two groups, GEMMs per group of one image and of several
	{N: 2, C: 4, H: 9, W: 8, K: 6, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 2},
	{N: 30, C: 6, H: 4, W: 4, K: 9, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 3},
	// depthwise: multiplier 1 and 2, strided, dilated
	{N: 3, C: 5, H: 7, W: 7, K: 5, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 5},
	{N: 2, C: 3, H: 9, W: 8, K: 6, R: 3, S: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1, DilationH: 2, DilationW: 1, Groups: 3},
	// implicit GEMMs (≥ 8 filters): filters and channels not a whole number
	// of micro-kernel rows, taps over several k blocks, asymmetric padding
	// and strides; backward passes implicit too or not
	{N: 3, C: 30, H: 9, W: 16, K: 12, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 5, C: 9, H: 6, W: 15, K: 9, R: 3, S: 2, StrideH: 1, StrideW: 1, PadH: 2, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 4, H: 6, W: 7, K: 10, R: 3, S: 2, StrideH: 1, StrideW: 1, PadH: 2, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 9, H: 9, W: 10, K: 10, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 9, W: 8, K: 9, R: 3, S: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 7, W: 8, K: 8, R: 2, S: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	// tiles of whole output rows, forward and backward data: rows of a tile,
	// of a third of one (3+2+2 rows a tile)
	{N: 3, C: 8, H: 7, W: 16, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 8, H: 4, W: 32, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	// backward filter by filter rows of 3 taps: two blocks of 16 filters and
	// of 8 channels, rows of 16 outputs, three images on two lanes
	{N: 3, C: 16, H: 5, W: 16, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	// and 8 wide, without padding and with two rows and columns of it
	{N: 3, C: 8, H: 10, W: 10, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 2, C: 16, H: 6, W: 6, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilationH: 1, DilationW: 1},
	// and of half a vector, six and four rows a tile, and two
	{N: 3, C: 8, H: 10, W: 8, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 16, H: 2, W: 8, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
}

// convImplicitShapes are the shapes of convTestShapes that run as implicit GEMMs.
var convImplicitShapes = convTestShapes[15:]

func (s ConvShape) String() string {
	return fmt.Sprintf("N%dC%dH%dW%d_K%dR%dS%d_st%dx%d_pad%dx%d_dil%dx%d_g%d",
		s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.StrideH, s.StrideW, s.PadH, s.PadW, s.DilationH, s.DilationW, s.groups())
}

// convTaps calls fn for every (input index, weight index, output index) triple
// the convolution multiplies together: the definition, written out as loops.
func convTaps(s ConvShape, fn func(xi, wi, yi int)) {
	oh, ow := s.OutH(), s.OutW()
	cg, kg := s.GroupChannels(), s.K/s.groups()
	for n := 0; n < s.N; n++ {
		for k := 0; k < s.K; k++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					yi := ((n*s.K+k)*oh+i)*ow + j
					for c := 0; c < cg; c++ {
						for r := 0; r < s.R; r++ {
							for q := 0; q < s.S; q++ {
								ih := i*s.StrideH - s.PadH + r*s.DilationH
								iw := j*s.StrideW - s.PadW + q*s.DilationW
								if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
									continue
								}
								fn(((n*s.C+k/kg*cg+c)*s.H+ih)*s.W+iw, ((k*cg+c)*s.R+r)*s.S+q, yi)
							}
						}
					}
				}
			}
		}
	}
}

func naiveConvForward(s ConvShape, x, w, bias []float64) []float64 {
	oh, ow := s.OutH(), s.OutW()
	y := make([]float64, s.N*s.K*oh*ow)
	if bias != nil {
		for i := range y {
			y[i] = bias[i/(oh*ow)%s.K]
		}
	}
	convTaps(s, func(xi, wi, yi int) { y[yi] += x[xi] * w[wi] })
	return y
}

func naiveConvBackwardData(s ConvShape, w, dy []float64) []float64 {
	dx := make([]float64, s.N*s.C*s.H*s.W)
	convTaps(s, func(xi, wi, yi int) { dx[xi] += w[wi] * dy[yi] })
	return dx
}

func naiveConvBackwardFilter(s ConvShape, x, dy []float64) []float64 {
	dw := make([]float64, s.K*s.GroupChannels()*s.R*s.S)
	convTaps(s, func(xi, wi, yi int) { dw[wi] += x[xi] * dy[yi] })
	return dw
}

type convCase struct {
	s             ConvShape
	x, w, bias, g []float64 // g: the upstream gradient dy
}

func newConvCase(rng *rand.Rand, s ConvShape) convCase {
	return convCase{
		s:    s,
		x:    uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1),
		w:    uniformSlice(rng, s.K*s.GroupChannels()*s.R*s.S, -1, 1),
		bias: uniformSlice(rng, s.K, -1, 1),
		g:    uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1),
	}
}

// run executes the three kernels in T, with or without bias, and returns
// y, dx, dw and db.
func runConv[T Float](c convCase, withBias bool) (y, dx, dw, db []T) {
	s := c.s
	work := make([]T, Conv2DWorkspace(s))
	for i := range work {
		work[i] = 1e30 // the kernels must not depend on what the workspace held
	}
	var bias []T
	if withBias {
		bias = asType[T](c.bias)
	}
	y = make([]T, len(c.g))
	dx = make([]T, len(c.x))
	dw = make([]T, len(c.w))
	db = make([]T, s.K)
	x, w, g := asType[T](c.x), asType[T](c.w), asType[T](c.g)
	for _, out := range [][]T{y, dx, dw, db} { // stale outputs must be overwritten
		for i := range out {
			out[i] = -7
		}
	}
	Conv2DForward(s, x, w, bias, y, work)
	Conv2DBackwardData(s, w, g, dx, work)
	Conv2DBackwardFilter(s, x, g, dw, work)
	BiasBackwardNCL(s.N, s.K, s.OutH()*s.OutW(), g, db)
	return y, dx, dw, db
}

func testConvMatchesNaive[T Float](t *testing.T, shapes []ConvShape) {
	rng := rand.New(rand.NewPCG(10, 11))
	rtol, atol := typeTolerance[T]()
	for _, s := range shapes {
		if err := s.Validate(); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		c := newConvCase(rng, s)
		for _, withBias := range []bool{true, false} {
			var bias []float64
			if withBias {
				bias = c.bias
			}
			// Each result sums up to C·R·S, K or N·OutH·OutW products of
			// values in [−1, 1]: scale the absolute tolerance with the
			// typical size of such a sum.
			terms := math.Sqrt(float64(max(s.C*s.R*s.S, s.K, s.N*s.OutH()*s.OutW())))
			y, dx, dw, db := runConv[T](c, withBias)
			name := fmt.Sprintf("%v bias=%t", s, withBias)
			expectClose(t, name+" y", y, naiveConvForward(s, c.x, c.w, bias), rtol, atol*terms)
			expectClose(t, name+" dx", dx, naiveConvBackwardData(s, c.w, c.g), rtol, atol*terms)
			expectClose(t, name+" dw", dw, naiveConvBackwardFilter(s, c.x, c.g), rtol, atol*terms)
			wantDb := make([]float64, s.K)
			for i, v := range c.g {
				wantDb[i/(s.OutH()*s.OutW())%s.K] += v
			}
			expectClose(t, name+" db", db, wantDb, rtol, atol*terms)
		}
	}
}

func TestConvMatchesNaiveFloat64(t *testing.T) { testConvMatchesNaive[float64](t, convTestShapes) }
func TestConvMatchesNaiveFloat32(t *testing.T) { testConvMatchesNaive[float32](t, convTestShapes) }

// The backward kernels are the gradients of the forward one: compare them with
// central differences of Σ g·y over x, w and the bias.
func TestConvGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for _, s := range append(append(convTestShapes[:7:7], convImplicitShapes...), convStridedShapes[2:4]...) {
		c := newConvCase(rng, s)
		_, dx, dw, db := runConv[float64](c, true)
		loss := func() float64 {
			y := make([]float64, len(c.g))
			Conv2DForward(s, c.x, c.w, c.bias, y, make([]float64, Conv2DWorkspace(s)))
			return dot(y, c.g)
		}
		expectClose(t, s.String()+" dx", dx, finiteDifference(c.x, 1e-4, loss), 1e-6, 1e-8)
		expectClose(t, s.String()+" dw", dw, finiteDifference(c.w, 1e-4, loss), 1e-6, 1e-8)
		expectClose(t, s.String()+" db", db, finiteDifference(c.bias, 1e-4, loss), 1e-6, 1e-8)
	}
}

func TestConvDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, s := range []ConvShape{convTestShapes[7], convTestShapes[10], convTestShapes[12], convTestShapes[13], convImplicitShapes[0], convImplicitShapes[2], convStridedShapes[1], convStridedShapes[5], convStride2TapsShapes[0], convStride2TapsShapes[1]} { // plain, grouped, depthwise, implicit, by stride phases (and their taps kernels)
		c := newConvCase(rng, s)
		var results [3][4][]float32
		for i, procs := range []int{1, 2, 3} {
			atProcs(procs, func() {
				y, dx, dw, db := runConv[float32](c, true)
				results[i] = [4][]float32{y, dx, dw, db}
			})
		}
		for j, name := range []string{"y", "dx", "dw", "db"} {
			expectIdentical(t, s.String()+" "+name, results[0][j], results[1][j])
			expectIdentical(t, s.String()+" "+name, results[0][j], results[2][j])
		}
	}
}

// The strided row kernels under im2col and col2im, for every tail length of the
// vector loops; elements outside the rows must stay untouched.
func testRowKernels[T Float](t *testing.T) {
	const rows, dstStride, srcStride = 3, 45, 41
	for n := 0; n <= 40; n++ {
		src := make([]T, (rows-1)*srcStride+n+5)
		for i := range src {
			src[i] = T(i + 1)
		}
		for _, add := range []bool{false, true} {
			dst := make([]T, (rows-1)*dstStride+n+7)
			for i := range dst {
				dst[i] = T(-i) / 4
			}
			want := append([]T(nil), dst...)
			for r := 0; r < rows; r++ {
				for j := 0; j < n; j++ {
					if add {
						want[r*dstStride+j] += src[r*srcStride+j]
					} else {
						want[r*dstStride+j] = src[r*srcStride+j]
					}
				}
			}
			if add {
				addRows(dst, dstStride, src, srcStride, rows, n)
			} else {
				copyRows(dst, dstStride, src, srcStride, rows, n)
			}
			expectClose(t, fmt.Sprintf("n=%d add=%t", n, add), dst, toFloat64s(want), 0, 0)
		}
	}
}

func TestRowKernelsFloat64(t *testing.T) { testRowKernels[float64](t) }
func TestRowKernelsFloat32(t *testing.T) { testRowKernels[float32](t) }

func TestBiasAddNCL(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	for _, l := range []int{1, 5, 3000} {
		n, c := 7, 6
		y, b := uniformSlice(rng, n*c*l, -1, 1), uniformSlice(rng, c, -1, 1)
		want := make([]float64, len(y))
		for i := range want {
			want[i] = y[i] + b[i/l%c]
		}
		got := asType[float64](y)
		BiasAddNCL(n, c, l, b, got)
		expectClose(t, fmt.Sprintf("l=%d", l), got, want, 1e-15, 0)
	}
}

// BiasBackwardNCL sums dy over the batch and the positions, for linear layers
// (l = 1, channels in several column blocks) and convolutions, the same bits
// on one thread and on two.
func TestBiasBackwardNCL(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	for _, shape := range [][3]int{{70, 600, 1}, {3, 5, 1}, {7, 6, 5}, {2, 3, 3000}} {
		n, c, l := shape[0], shape[1], shape[2]
		dy := uniformSlice(rng, n*c*l, -1, 1)
		want := make([]float64, c)
		for i, v := range dy {
			want[i/l%c] += v
		}
		var got [2][]float32
		for i, procs := range []int{1, 2} {
			got[i] = make([]float32, c)
			atProcs(procs, func() { BiasBackwardNCL(n, c, l, asType[float32](dy), got[i]) })
		}
		name := fmt.Sprint(shape)
		expectClose(t, name, got[0], want, 1e-5, 1e-5)
		expectIdentical(t, name+" GOMAXPROCS", got[1], got[0])
	}
}

func TestConvShapeValidate(t *testing.T) {
	good := convTestShapes[0]
	if good.OutH() != 7 || good.OutW() != 7 {
		t.Fatalf("%v: output %d×%d, want 7×7", good, good.OutH(), good.OutW())
	}
	cases := []struct {
		field  string
		modify func(*ConvShape)
	}{
		{"N", func(s *ConvShape) { s.N = 0 }},
		{"C", func(s *ConvShape) { s.C = -1 }},
		{"K", func(s *ConvShape) { s.K = 0 }},
		{"S", func(s *ConvShape) { s.S = 0 }},
		{"StrideW", func(s *ConvShape) { s.StrideW = 0 }},
		{"PadH", func(s *ConvShape) { s.PadH = -1 }},
		{"DilationH", func(s *ConvShape) { s.DilationH = 0 }},
		{"height", func(s *ConvShape) { s.PadH, s.R = 0, 8 }},
		{"width", func(s *ConvShape) { s.PadW, s.DilationW = 0, 4 }},
		{"Groups", func(s *ConvShape) { s.Groups = -1 }},
		{"groups", func(s *ConvShape) { s.Groups = 2 }}, // 3 channels
	}
	for _, tc := range cases {
		s := good
		tc.modify(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%v: error %v, want one naming %s", s, err, tc.field)
		}
	}
}

// The two convolutions of LeNet-5 as Descent trains it on MNIST, batch 64.
var lenetConvs = []struct {
	name string
	s    ConvShape
}{
	{"conv1_1x28x28_32x5x5", ConvShape{N: 64, C: 1, H: 28, W: 28, K: 32, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}},
	{"conv2_32x12x12_64x5x5", ConvShape{N: 64, C: 32, H: 12, W: 12, K: 64, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}},
}

func benchmarkConv(b *testing.B, run func(s ConvShape, x, w, y, work []float32)) {
	for _, tc := range lenetConvs {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.s
			rng := rand.New(rand.NewPCG(1, 1))
			x := asType[float32](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
			w := asType[float32](uniformSlice(rng, s.K*s.C*s.R*s.S, -1, 1))
			y := asType[float32](uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1))
			work := make([]float32, Conv2DWorkspace(s))
			for b.Loop() {
				run(s, x, w, y, work)
			}
			flops := 2 * float64(s.N*s.K*s.C*s.R*s.S*s.OutH()*s.OutW())
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkConv2DForward(b *testing.B) {
	bias := make([]float32, 64)
	benchmarkConv(b, func(s ConvShape, x, w, y, work []float32) { Conv2DForward(s, x, w, bias[:s.K], y, work) })
}

func BenchmarkConv2DBackwardData(b *testing.B) {
	benchmarkConv(b, func(s ConvShape, x, w, dy, work []float32) { Conv2DBackwardData(s, w, dy, x, work) })
}

func BenchmarkConv2DBackwardFilter(b *testing.B) {
	benchmarkConv(b, func(s ConvShape, x, w, dy, work []float32) { Conv2DBackwardFilter(s, x, dy, w, work) })
}

func BenchmarkBiasBackwardNCL(b *testing.B) {
	n, c, l := 64, 32, 24*24
	dy, db := make([]float32, n*c*l), make([]float32, c)
	for b.Loop() {
		BiasBackwardNCL(n, c, l, dy, db)
	}
	reportBandwidth(b, 4*len(dy))
}

// A depthwise convolution of MobileNetV2's second stage (144 channels at
// 56×56), batch 8.
func BenchmarkDepthwiseConv2D(b *testing.B) {
	s := ConvShape{N: 8, C: 144, H: 56, W: 56, K: 144, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 144}
	x := make([]float32, s.N*s.C*s.H*s.W)
	w := make([]float32, s.K*s.R*s.S)
	y := make([]float32, s.N*s.K*s.OutH()*s.OutW())
	for name, run := range map[string]func(){
		"forward":         func() { DepthwiseConv2DForward(s, x, w, nil, y) },
		"backward-data":   func() { DepthwiseConv2DBackwardData(s, w, y, x) },
		"backward-filter": func() { DepthwiseConv2DBackwardFilter(s, x, y, w) },
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(4 * (len(x) + len(y))))
			for range b.N {
				run()
			}
		})
	}
}

// convImplicitShapes run as implicit GEMMs: the forward pass, and the
// backward passes where marked (backward filter in float64, where it needs
// 8 channels; float32 also runs the others, reducing over the pixels, where
// the CPU can). The shapes from the seventh on have row tiles where the CPU
// has the AVX-512 kernels, which the last two need to run backward data as
// implicit GEMMs.
func TestConvImplicitShapes(t *testing.T) {
	want := [][2]bool{{true, true}, {true, true}, {false, false}, {false, true}, {false, true}, {false, true},
		{true, true}, {true, true}, {true, true}, {false, true}, {false, true}, {true, true}, {true, true}}
	rowTiles := implicitDirect(sgemmArch)
	for i, s := range convImplicitShapes {
		data := want[i][0] && (rowTiles || i < len(convImplicitShapes)-2)
		if !implicitConv(s) || implicitBackwardData(s) != data || implicitFilter[float64](s) != want[i][1] {
			t.Errorf("%v: implicit forward %t, backward data %t, backward filter %t", s, implicitConv(s), implicitBackwardData(s), implicitFilter[float64](s))
		}
		if rowTiles && i >= 6 && !implicitRowTiles(s) {
			t.Errorf("%v: no row tiles", s)
		}
	}
	// Whole blocks of 8 channels and 16 filters, outputs of whole vectors:
	// backward filter by filter rows of 3 taps, where the CPU has the kernel.
	for i, s := range convImplicitShapes {
		if filterTaps[float32](s) != (filterReduceAsm && (i >= 7 && i <= 10 || i == 12)) {
			t.Errorf("%v: backward filter by taps %t", s, filterTaps[float32](s))
		}
	}
	// Dilated or grouped convolutions keep im2col, also when their transposed
	// convolution alone would qualify.
	dilated := ConvShape{N: 2, C: 16, H: 9, W: 18, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 2, DilationW: 2}
	grouped := ConvShape{N: 2, C: 16, H: 9, W: 16, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 2}
	for _, s := range []ConvShape{dilated, grouped} {
		if implicitConv(s) || implicitBackwardData(s) || implicitFilter[float32](s) {
			t.Errorf("%v: implicit", s)
		}
	}
}

// The strided row kernels under strided im2col, col2im and stride phases, for
// every tail length; elements they do not address must stay untouched.
func testStridedRowKernels[T Float](t *testing.T) {
	const rows, dstStride, srcStride = 3, 97, 89
	for _, step := range []int{2, 3} {
		for n := 0; n <= 40; n++ {
			src := make([]T, (rows-1)*srcStride+(n-1)*step+9)
			for i := range src {
				src[i] = T(i + 1)
			}
			for _, scatter := range []bool{false, true} {
				dst := make([]T, (rows-1)*dstStride+n*step+7)
				for i := range dst {
					dst[i] = T(-i) / 4
				}
				want := append([]T(nil), dst...)
				for r := 0; r < rows; r++ {
					for j := 0; j < n; j++ {
						if scatter {
							want[r*dstStride+j*step] += src[r*srcStride+j]
						} else {
							want[r*dstStride+j] = src[r*srcStride+j*step]
						}
					}
				}
				if scatter {
					scatterAddRows(dst, dstStride, src, srcStride, rows, n, step)
				} else {
					gatherRows(dst, dstStride, src, srcStride, rows, n, step)
				}
				expectClose(t, fmt.Sprintf("step=%d n=%d scatter=%t", step, n, scatter), dst, toFloat64s(want), 0, 0)
			}
		}
	}
}

func TestStridedRowKernelsFloat64(t *testing.T) { testStridedRowKernels[float64](t) }
func TestStridedRowKernelsFloat32(t *testing.T) { testStridedRowKernels[float32](t) }

// tapOffsets counts through the taps as tapOffset computes each one, from
// any first tap, for unit and larger strides.
func TestTapOffsets(t *testing.T) {
	for _, s := range convImplicitShapes {
		l := newImplicitLayout(s)
		crs, rs := s.C*s.R*s.S, s.R*s.S
		for _, pc := range []int{0, 1, s.S, rs - 1, rs + 2, crs / 2} {
			if pc >= crs {
				continue
			}
			offsets := make([]int32, crs-pc)
			tapOffsets(s, l, pc, offsets)
			for p, o := range offsets {
				q := pc + p
				if want := tapOffset(s, l, q/rs, q%rs/s.S, q%s.S); int(o) != want {
					t.Fatalf("%v: tap %d from %d: offset %d, want %d", s, q, pc, o, want)
				}
			}
		}
	}
}
