package kernels

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
)

// convBenchShape is one convolution of testdata/conv_bench_shapes.json, the
// shapes bench/pytorch/conv.py times in PyTorch too: the first and last 3×3
// of the benchmark ResNet-8 (batch 256), then torchvision ResNet-18's stem
// (7×7 stride 2), a 3×3 of its first stage, the 3×3 stride 2 that opens the
// second, and a 1×1, at batch 8; then MobileNetV2's depthwise 3×3 of 144
// channels at 56×56, stride 1 and stride 2, at batch 8; then ResNet-18's deep
// 3×3s at its benchmark batch 32: 256 channels at 14×14, 512 at 7×7, and the
// stride 2 between them; then LeNet's second 5×5 at batch 64 (by Winograd,
// so its GFLOP/s count the direct multiply-adds it saves too). Groups 0
// means 1.
type convBenchShape struct {
	Name                                     string
	N, C, H, W, K, R, S, Stride, Pad, Groups int
}

func (c convBenchShape) conv() ConvShape {
	return ConvShape{N: c.N, C: c.C, H: c.H, W: c.W, K: c.K, R: c.R, S: c.S, StrideH: c.Stride, StrideW: c.Stride,
		PadH: c.Pad, PadW: c.Pad, DilationH: 1, DilationW: 1, Groups: c.Groups}
}

func loadConvBenchShapes(tb testing.TB) []convBenchShape {
	raw, err := os.ReadFile("testdata/conv_bench_shapes.json")
	if err != nil {
		tb.Fatal(err)
	}
	var shapes []convBenchShape
	if err := json.Unmarshal(raw, &shapes); err != nil {
		tb.Fatal(err)
	}
	return shapes
}

// The benchmark shapes are valid convolutions.
func TestConvBenchShapesValid(t *testing.T) {
	shapes := loadConvBenchShapes(t)
	if len(shapes) == 0 {
		t.Fatal("no shapes")
	}
	for _, c := range shapes {
		if err := c.conv().Validate(); err != nil || c.Name == "" {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// BenchmarkConvShapes reports GFLOP/s (2·N·K·(C/Groups)·R·S·OutH·OutW per pass) of the
// forward pass and of both backward passes for each benchmark shape.
func BenchmarkConvShapes(b *testing.B) {
	for _, c := range loadConvBenchShapes(b) {
		benchConvPasses(b, c.Name, c.conv())
	}
}

// BenchmarkConvNets reports GFLOP/s of the three passes of the convolutions
// of the benchmark LeNet (batch 64) and ResNet-8 (batch 256).
func BenchmarkConvNets(b *testing.B) {
	sq := func(n, c, hw, k, r, stride, pad int) ConvShape {
		return ConvShape{N: n, C: c, H: hw, W: hw, K: k, R: r, S: r, StrideH: stride, StrideW: stride,
			PadH: pad, PadW: pad, DilationH: 1, DilationW: 1}
	}
	for _, c := range []struct {
		name string
		s    ConvShape
	}{
		{"lenet_conv1", sq(64, 1, 28, 32, 5, 1, 0)},
		{"lenet_conv2", sq(64, 32, 12, 64, 5, 1, 0)},
		{"resnet_conv1", sq(256, 3, 32, 16, 3, 1, 1)},
		{"resnet_16x32", sq(256, 16, 32, 16, 3, 1, 1)},
		{"resnet_16s2", sq(256, 16, 32, 32, 3, 2, 1)},
		{"resnet_32x16", sq(256, 32, 16, 32, 3, 1, 1)},
		{"resnet_32s2", sq(256, 32, 16, 64, 3, 2, 1)},
		{"resnet_64x8", sq(256, 64, 8, 64, 3, 1, 1)},
		{"resnet_1x1_16", sq(256, 16, 32, 32, 1, 2, 0)},
		{"resnet_1x1_32", sq(256, 32, 16, 64, 1, 2, 0)},
	} {
		benchConvPasses(b, c.name, c.s)
	}
}

// benchConvPasses times the three passes of s in float32 as name/pass.
func benchConvPasses(b *testing.B, name string, s ConvShape) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := asType[float32](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
	w := asType[float32](uniformSlice(rng, s.K*s.GroupChannels()*s.R*s.S, -1, 1))
	y := asType[float32](uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1))
	work := make([]float32, Conv2DWorkspace(s))
	flops := 2 * float64(s.N*s.K*s.GroupChannels()*s.R*s.S*s.OutH()*s.OutW())
	for _, pass := range []struct {
		name string
		run  func()
	}{
		{"forward", func() { Conv2DForward(s, x, w, nil, y, work) }},
		{"backward_data", func() { Conv2DBackwardData(s, w, y, x, work) }},
		{"backward_filter", func() { Conv2DBackwardFilter(s, x, y, w, work) }},
	} {
		b.Run(name+"/"+pass.name, func(b *testing.B) {
			for b.Loop() {
				pass.run()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
