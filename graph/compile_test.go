package graph

import (
	"math/rand/v2"
	"testing"
)

// TestStoragePlan: the storage compile records is the plan the host runs on:
// buffers of one slot share host storage, buffers of different slots do not,
// a slot holds its buffers, and parameters' values and gradients are theirs.
func TestStoragePlan(t *testing.T) {
	m := deviceTestModel(t, rand.New(rand.NewPCG(5, 6)))
	for _, training := range []bool{true, false} {
		p, err := compile(m, 4, training, training)
		if err != nil {
			t.Fatal(err)
		}
		first := map[int]*float32{} // the host storage of each slot
		for buf, st := range p.storage {
			switch {
			case st.slot < 0 && st.gradient:
				if &buf.F32[0] != &st.param.Grad.F32[0] {
					t.Errorf("a buffer planned as %s's gradient lives elsewhere", st.param.Name)
				}
			case st.slot < 0:
				if buf != st.param.Value {
					t.Errorf("a buffer planned as %s's value is not it", st.param.Name)
				}
			case cap(buf.F32) == 0: // nothing to share
			default:
				if buf.Len() > p.slotSizes[st.slot] {
					t.Errorf("a buffer of %d elements in slot %d of %d", buf.Len(), st.slot, p.slotSizes[st.slot])
				}
				if f, ok := first[st.slot]; ok && f != &buf.F32[:1][0] {
					t.Errorf("slot %d holds buffers of different host storage", st.slot)
				}
				first[st.slot] = &buf.F32[:1][0]
			}
		}
		slotOf := map[*float32]int{}
		for slot, f := range first {
			if other, ok := slotOf[f]; ok {
				t.Errorf("slots %d and %d share host storage", slot, other)
			}
			slotOf[f] = slot
		}
		for _, s := range p.Steps {
			for _, buf := range append([]*Buffer{s.Out}, s.In...) {
				if _, ok := p.storage[buf]; !ok && buf != p.Input && buf != p.Labels {
					t.Fatalf("training %t: a buffer of %s has no storage", training, s.Name)
				}
			}
		}
		if len(first) == 0 {
			t.Fatal("no activation slots")
		}
	}
}
