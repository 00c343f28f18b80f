package ptx

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The kernels' grid-stride loops (FOR_EACH) and block-stride loops (FOR_BLOCK)
// must count in 64 bits: with one thread per element, a 32-bit i + stride
// wraps negative once n passes 2³⁰, still compares below n, and the kernel
// writes out of bounds. nvcc may keep 32-bit copies of an index for the body's
// arithmetic, which is safe, as every index reached is below n; what must not
// be 32-bit is a loop's own test. indexLoopFaults finds, in each entry, the
// loop tests (the predicates of backward branches) comparing in 32 bits a value
// that a 32-bit add or sub of a stride produced. A stride is %nctaid.x and what
// mov, cvt, mul and shl make of it (the grid's width, unrolled multiples), or
// an immediate multiple of REDUCE_THREADS.

var (
	entryPattern = regexp.MustCompile(`(?ms)^\.visible \.entry (\w+)\((.*?)^}`)
	instrPattern = regexp.MustCompile(`^\s*(?:@!?(%\w+)\s+)?([a-z][\w.]*)\s+(.*);$`)
	labelPattern = regexp.MustCompile(`^\s*(\$\w+):$`)
	latchPattern = regexp.MustCompile(`^\s*@!?(%p\d+)\s+bra(?:\.uni)?\s+(\$\w+);$`)
)

type instr struct {
	op   string
	args []string // destination first
}

// loopReport is what indexLoopFaults found in one entry.
type loopReport struct {
	wide   int      // 64-bit adds of a stride
	faults []string // loop tests on 32-bit stride adds
}

// indexLoopFaults checks every entry of a PTX module; threads is REDUCE_THREADS.
func indexLoopFaults(ptx string, threads int) map[string]loopReport {
	reports := map[string]loopReport{}
	for _, e := range entryPattern.FindAllStringSubmatch(ptx, -1) {
		var code []instr
		seen := map[string]bool{} // labels so far: a branch to one is backward
		latches := map[string]bool{}
		for _, line := range strings.Split(e[2], "\n") {
			if m := labelPattern.FindStringSubmatch(line); m != nil {
				seen[m[1]] = true
				continue
			}
			if m := latchPattern.FindStringSubmatch(line); m != nil && seen[m[2]] {
				latches[m[1]] = true
			}
			if m := instrPattern.FindStringSubmatch(line); m != nil {
				args := strings.Split(m[3], ",")
				for i := range args {
					args[i] = strings.TrimSpace(args[i])
				}
				code = append(code, instr{m[2], args})
			}
		}
		strides := map[string]bool{}
		for changed := true; changed; {
			changed = false
			for _, in := range code {
				if strides[in.args[0]] {
					continue
				}
				base := strings.SplitN(in.op, ".", 2)[0]
				for _, a := range in.args[1:] {
					if (base == "mov" && a == "%nctaid.x") ||
						((base == "mov" || base == "cvt" || base == "mul" || base == "shl") && strides[a]) {
						strides[in.args[0]], changed = true, true
						break
					}
				}
			}
		}
		isStride := func(a string) bool {
			v, err := strconv.Atoi(a)
			return strides[a] || (err == nil && v > 0 && v%threads == 0)
		}
		narrow := map[string]bool{} // results of 32-bit stride adds
		var r loopReport
		for _, in := range code {
			base := strings.SplitN(in.op, ".", 2)[0]
			if base != "add" && base != "sub" {
				continue
			}
			for _, a := range in.args[1:] {
				if !isStride(a) {
					continue
				}
				if strings.HasSuffix(in.op, "32") {
					narrow[in.args[0]] = true
				} else {
					r.wide++
				}
				break
			}
		}
		for _, in := range code {
			if !strings.HasPrefix(in.op, "setp.") || strings.HasSuffix(in.op, "f32") || !strings.HasSuffix(in.op, "32") || !latches[in.args[0]] {
				continue
			}
			for _, a := range in.args[1:] {
				if narrow[a] {
					r.faults = append(r.faults, in.op+" "+strings.Join(in.args, ", "))
					break
				}
			}
		}
		reports[e[1]] = r
	}
	return reports
}

// reduceThreads reads REDUCE_THREADS from descent.cuh.
func reduceThreads(t *testing.T) int {
	t.Helper()
	src, err := os.ReadFile("../descent.cuh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^#define REDUCE_THREADS (\d+)$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("descent.cuh does not define REDUCE_THREADS")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func TestPTXIndexLoopsAre64Bit(t *testing.T) {
	ptx, err := os.ReadFile("descent.ptx")
	if err != nil {
		t.Fatal(err)
	}
	reports := indexLoopFaults(string(ptx), reduceThreads(t))
	if len(reports) == 0 {
		t.Fatal("no entries found in descent.ptx")
	}
	for name, r := range reports {
		for _, f := range r.faults {
			t.Errorf("%s: a loop tests a 32-bit index after adding a stride (%s): count in 64 bits (FOR_EACH, FOR_BLOCK of descent.cuh)", name, f)
		}
		if r.wide == 0 {
			t.Errorf("%s: no 64-bit stride add found: every kernel visits its elements with FOR_EACH or FOR_BLOCK", name)
		}
	}
}

// TestIndexLoopFaultsFindsNarrowLoops feeds the check the PTX nvcc made of the
// 32-bit loops before they were widened: a grid-stride loop (Add) and a
// block-stride loop unrolled four times (ReduceTotal).
func TestIndexLoopFaultsFindsNarrowLoops(t *testing.T) {
	reports := indexLoopFaults(narrowLoops, 256)
	for _, name := range []string{"Add", "ReduceTotal"} {
		r, ok := reports[name]
		if !ok {
			t.Fatalf("entry %s not parsed", name)
		}
		if len(r.faults) == 0 {
			t.Errorf("%s: the 32-bit loop was not reported", name)
		}
	}
}

// narrowLoops is nvcc 11.8's PTX of Add and of ReduceTotal's loop when
// FOR_EACH and the block loops counted in int.
const narrowLoops = `
.visible .entry Add(
	.param .u64 Add_param_0,
	.param .u64 Add_param_1,
	.param .u64 Add_param_2,
	.param .u32 Add_param_3
)
{
	ld.param.u64 	%rd4, [Add_param_0];
	ld.param.u64 	%rd5, [Add_param_1];
	ld.param.u64 	%rd6, [Add_param_2];
	ld.param.u32 	%r6, [Add_param_3];
	mov.u32 	%r1, %ntid.x;
	mov.u32 	%r7, %ctaid.x;
	mov.u32 	%r8, %tid.x;
	mad.lo.s32 	%r10, %r7, %r1, %r8;
	setp.ge.s32 	%p1, %r10, %r6;
	@%p1 bra 	$L__BB23_3;

	mov.u32 	%r9, %nctaid.x;
	mul.lo.s32 	%r3, %r1, %r9;
	cvta.to.global.u64 	%rd1, %rd4;
	cvta.to.global.u64 	%rd2, %rd5;
	cvta.to.global.u64 	%rd3, %rd6;

$L__BB23_2:
	mul.wide.s32 	%rd7, %r10, 4;
	add.s64 	%rd8, %rd1, %rd7;
	add.s64 	%rd9, %rd2, %rd7;
	ld.global.f32 	%f1, [%rd9];
	ld.global.f32 	%f2, [%rd8];
	add.rn.f32 	%f3, %f2, %f1;
	add.s64 	%rd10, %rd3, %rd7;
	st.global.f32 	[%rd10], %f3;
	add.s32 	%r10, %r10, %r3;
	setp.lt.s32 	%p2, %r10, %r6;
	@%p2 bra 	$L__BB23_2;

$L__BB23_3:
	ret;

}
.visible .entry ReduceTotal(
	.param .u64 ReduceTotal_param_0,
	.param .u32 ReduceTotal_param_1,
	.param .u64 ReduceTotal_param_2
)
{
	ld.param.u64 	%rd9, [ReduceTotal_param_0];
	ld.param.u32 	%r12, [ReduceTotal_param_1];
	mov.u32 	%r20, %r1;

$L__BB28_6:
	ld.global.f64 	%fd14, [%rd15+-4096];
	add.rn.f64 	%fd15, %fd49, %fd14;
	ld.global.f64 	%fd16, [%rd15+-2048];
	add.rn.f64 	%fd17, %fd15, %fd16;
	ld.global.f64 	%fd18, [%rd15];
	add.rn.f64 	%fd19, %fd17, %fd18;
	ld.global.f64 	%fd20, [%rd15+2048];
	add.rn.f64 	%fd49, %fd19, %fd20;
	add.s64 	%rd15, %rd15, 8192;
	add.s32 	%r20, %r20, 1024;
	setp.lt.s32 	%p5, %r20, %r12;
	@%p5 bra 	$L__BB28_6;

	ret;

}
`
