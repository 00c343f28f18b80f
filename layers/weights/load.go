package weights

import (
	"fmt"
	"slices"
	"strings"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
)

// Options tune Load.
type Options struct {
	// Head lists the name prefixes of the classifier head, which may differ
	// from the file's in its class count; nil means layers.Head (torchvision's
	// fc and classifier.1).
	Head []string
}

// Report says what Load did.
type Report struct {
	Loaded []string // parameters and buffers set from the file
	// NewHead lists the head's parameters left as the model initialized
	// them, because the file's head has another number of classes.
	NewHead                   []string
	FileClasses, ModelClasses int // the head's class counts, when NewHead is set
}

// String is the one line that tells a user about a new head, or "".
func (r *Report) String() string {
	if len(r.NewHead) == 0 {
		return ""
	}
	return fmt.Sprintf("weights: the file's head has %d classes, the model %d: %s freshly initialized, everything else loaded",
		r.FileClasses, r.ModelClasses, strings.Join(r.NewHead, ", "))
}

// maxListed is how many keys of each kind a mismatch error names.
const maxListed = 10

// Load copies sd into m's parameters and buffers by name, strictly: every
// parameter and buffer of m must be in sd with its shape, and sd may hold
// nothing else but batch norm's num_batches_tracked counters. All
// mismatches make one error. The exception is the head (opt.Head): if its
// tensors differ from the model's in the class count (the first dimension)
// alone, they are left as initialized and the Report lists them. Nothing is
// written unless the whole dict fits.
func Load(m *graph.Model, sd *StateDict, opt Options) (*Report, error) {
	head := opt.Head
	if head == nil {
		head = layers.Head
	}
	isHead := func(name string) bool { return graph.Under(name, head) }
	var missing, unexpected, misshaped []string
	report := &Report{}
	params := map[string]*graph.Param{}
	for _, p := range m.Params {
		params[p.Name] = p
		t, ok := sd.Tensors[p.Name]
		switch {
		case !ok:
			missing = append(missing, p.Name)
		case slices.Equal(t.Shape, p.Value.Shape):
			report.Loaded = append(report.Loaded, p.Name)
		case isHead(p.Name) && len(t.Shape) == len(p.Value.Shape) && len(t.Shape) > 0 && slices.Equal(t.Shape[1:], p.Value.Shape[1:]):
			report.NewHead = append(report.NewHead, p.Name)
			report.FileClasses, report.ModelClasses = t.Shape[0], p.Value.Shape[0]
		default:
			misshaped = append(misshaped, fmt.Sprintf("%s: file %v, model %v", p.Name, t.Shape, p.Value.Shape))
		}
	}
	for _, name := range sd.Names {
		if _, ok := params[name]; ok {
			continue
		}
		if prefix, ok := strings.CutSuffix(name, "num_batches_tracked"); ok && params[prefix+"running_mean"] != nil {
			continue
		}
		unexpected = append(unexpected, name)
	}
	var problems []string
	for _, kind := range []struct {
		what string
		keys []string
	}{{"missing", missing}, {"unexpected", unexpected}, {"wrongly shaped", misshaped}} {
		if len(kind.keys) > 0 {
			problems = append(problems, fmt.Sprintf("%d %s (%s)", len(kind.keys), kind.what, listed(kind.keys)))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("state_dict does not fit the model: %s", strings.Join(problems, "; "))
	}
	for _, name := range report.Loaded {
		set(params[name].Value, sd.Tensors[name])
	}
	return report, nil
}

// LoadFile reads a .safetensors or .pth file and loads it into m (see Load);
// errors name the file.
func LoadFile(m *graph.Model, path string, opt Options) (*Report, error) {
	sd, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Load(m, sd, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// listed joins the first maxListed keys, saying how many more there are.
func listed(keys []string) string {
	s := strings.Join(keys[:min(len(keys), maxListed)], ", ")
	if len(keys) > maxListed {
		s += fmt.Sprintf(", and %d more", len(keys)-maxListed)
	}
	return s
}

// set copies t's elements into b, converting to b's element type.
func set(b *graph.Buffer, t *Tensor) {
	if b.F32 != nil && t.f32 != nil {
		copy(b.F32, t.f32)
		return
	}
	for i := range t.Len() {
		b.Set(i, t.At(i))
	}
}
