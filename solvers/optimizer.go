package solvers

import (
	"errors"
	"fmt"

	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// Algorithm is an update rule with its hyperparameters: SGD, Adagrad, Adadelta,
// RMSProp, Adam or AdamW. Its LR and WeightDecay are the defaults of every
// parameter group.
type Algorithm interface {
	// Name is the torch.optim class name in lower case: "sgd", "adam", ...
	Name() string
	validate() error
	defaults() (lr, weightDecay float64)
	// slots lists the per-element state buffers, by PyTorch's state names.
	slots() []slot
	update32(t *tensors[float32], step int64, lr, weightDecay float64)
	update64(t *tensors[float64], step int64, lr, weightDecay float64)
	// hyper appends a group's row of hyperparameters for the fused device
	// kernel (kernels.SGDHyper, …) at a step to dst.
	hyper(dst []float32, step int64, lr, weightDecay float64) []float32
	// fused is the fused device kernel and which slots it takes.
	fused() param.FusedKernel
}

// slot is one per-element state buffer of an algorithm and its initial value.
type slot struct {
	name string
	init float64
}

// tensors are one parameter's value, gradient and state buffers in one dtype.
type tensors[T kernels.Float] struct {
	w, g  []T
	slots [][]T // in the order of Algorithm.slots
}

// Settings are the parts of an optimizer that are not the update rule: the
// default regularization of its groups, gradient clipping and what a NaN or
// ±Inf gradient does.
type Settings struct {
	// Regularization is every group's loss penalty unless the group sets its own.
	Regularization Regularization
	// ClipGradValue > 0 clamps every gradient element to [−ClipGradValue,
	// ClipGradValue], as torch.nn.utils.clip_grad_value_.
	ClipGradValue float64
	// ClipGradNorm > 0 scales all gradients by one factor so that their global
	// L2 norm is at most ClipGradNorm, as torch.nn.utils.clip_grad_norm_ (the
	// factor is ClipGradNorm/(norm+1e-6) when that is below 1). It runs after
	// ClipGradValue.
	ClipGradNorm float64
	// SkipNonFinite makes a NaN or ±Inf gradient skip the step instead of
	// failing it. Either way Step returns a *NonFiniteError and leaves the
	// parameters and the optimizer state untouched; the flag only tells the
	// caller whether training may go on (NonFiniteError.Skipped).
	SkipNonFinite bool
}

func (s Settings) validate() error {
	c := checker{what: "optimizer"}
	c.atLeast("clip_grad_value", s.ClipGradValue, 0)
	c.atLeast("clip_grad_norm", s.ClipGradNorm, 0)
	if c.err != nil {
		return c.err
	}
	return s.Regularization.validate()
}

// Group is a parameter group: parameters that share a learning rate, a weight
// decay and a regularization, like a torch.optim param group.
type Group struct {
	Params         []*param.Param
	LR             float64
	WeightDecay    float64 // the optimizer's own weight_decay (decoupled for AdamW)
	Regularization Regularization
}

// NonFiniteError reports a gradient holding NaN or ±Inf.
type NonFiniteError struct {
	Param   string // the first parameter, in group order, whose gradient is not finite
	Skipped bool   // Settings.SkipNonFinite: the step was skipped and training may go on
}

func (e *NonFiniteError) Error() string {
	outcome := "step not taken"
	if e.Skipped {
		outcome = "step skipped"
	}
	return fmt.Sprintf("solvers: gradient of %s holds NaN or Inf; %s", e.Param, outcome)
}

// Optimizer updates parameter groups in place with one Algorithm. Create it with
// New or NewOptimizer, add groups, then call Step after every backward pass.
// Its state buffers are allocated when a group is added; Step allocates nothing
// that grows with the parameters.
type Optimizer struct {
	algo     Algorithm
	settings Settings
	groups   []*group
	partial  []float64    // reduction scratch, one entry per chunk of the largest parameter
	device   *deviceState // set by OnDevice
}

type group struct {
	lr, weightDecay float64
	reg             Regularization
	params          []*paramState
}

// paramState is one parameter, its step count and its state buffers.
type paramState struct {
	param       *param.Param
	n           int // element count, fixed when the parameter is added
	step        int64
	buffers     []*param.Buffer // in the order of Algorithm.slots
	regularized bool
	f32         *tensors[float32] // exactly one of f32 and f64 is set
	f64         *tensors[float64]
}

// NewOptimizer checks the hyperparameters and settings and returns an optimizer
// without parameters.
func NewOptimizer(algo Algorithm, settings Settings) (*Optimizer, error) {
	if err := algo.validate(); err != nil {
		return nil, err
	}
	if err := settings.validate(); err != nil {
		return nil, err
	}
	return &Optimizer{algo: algo, settings: settings}, nil
}

// Algorithm returns the update rule and its hyperparameters.
func (o *Optimizer) Algorithm() Algorithm { return o.algo }

// DefaultGroup returns a group of params with the optimizer's defaults, for the
// caller to adjust before Add.
func (o *Optimizer) DefaultGroup(params ...*param.Param) Group {
	lr, wd := o.algo.defaults()
	return Group{Params: params, LR: lr, WeightDecay: wd, Regularization: o.settings.Regularization}
}

// AddGroup adds params as a group whose options are the optimizer's defaults
// overridden by overrides, by name: "lr", "weight_decay", "l1", "l2" and
// "regularize" (the parameter kinds the penalties apply to, by
// param.ParamKind.String(), or "all"). Nil overrides take every default.
func (o *Optimizer) AddGroup(params []*param.Param, overrides map[string]any) error {
	g := o.DefaultGroup(params...)
	r := newOptionReader(o.algo.Name()+" group", overrides)
	g.LR = r.float("lr", g.LR)
	g.WeightDecay = r.float("weight_decay", g.WeightDecay)
	g.Regularization = readRegularization(r, g.Regularization)
	if err := r.finish(); err != nil {
		return err
	}
	return o.Add(g)
}

// Add adds a parameter group and allocates its state. Parameters must be
// trainable-kind (not param.State), have a value, and belong to no other group.
// Groups are added before OnDevice.
func (o *Optimizer) Add(g Group) error {
	if o.device != nil {
		return errors.New("solvers: add parameter groups before OnDevice")
	}
	c := checker{what: o.algo.Name() + " group"}
	c.atLeast("lr", g.LR, 0)
	c.atLeast("weight_decay", g.WeightDecay, 0)
	if c.err != nil {
		return c.err
	}
	if err := g.Regularization.validate(); err != nil {
		return err
	}
	seen := map[*param.Param]bool{}
	for _, og := range o.groups {
		for _, s := range og.params {
			seen[s.param] = true
		}
	}
	ng := &group{lr: g.LR, weightDecay: g.WeightDecay, reg: g.Regularization}
	for _, p := range g.Params {
		switch {
		case p == nil || p.Value == nil:
			return fmt.Errorf("solvers: parameter without a value in group %d", len(o.groups))
		case p.Kind == param.State:
			return fmt.Errorf("solvers: %s is state (%v), not a trainable parameter", p.Name, p.Kind)
		case seen[p]:
			return fmt.Errorf("solvers: %s appears in more than one parameter group", p.Name)
		}
		seen[p] = true
		ng.params = append(ng.params, o.newParamState(p, g.Regularization.applies(p.Kind)))
		if n := kernels.Chunks(p.Value.Len(), kernels.OptimGrain); n > len(o.partial) {
			o.partial = make([]float64, n)
		}
	}
	o.groups = append(o.groups, ng)
	return nil
}

func (o *Optimizer) newParamState(p *param.Param, regularized bool) *paramState {
	n := p.Value.Len()
	s := &paramState{param: p, n: n, regularized: regularized}
	is32 := p.Value.F32 != nil
	if is32 {
		s.f32 = &tensors[float32]{}
	} else {
		s.f64 = &tensors[float64]{}
	}
	for _, sl := range o.algo.slots() {
		b := param.NewBuffer(p.Value.Dtype(), n)
		for i := 0; i < n; i++ {
			b.Set(i, sl.init)
		}
		s.buffers = append(s.buffers, b)
		if is32 {
			s.f32.slots = append(s.f32.slots, b.F32)
		} else {
			s.f64.slots = append(s.f64.slots, b.F64)
		}
	}
	return s
}

// NumGroups is the number of parameter groups.
func (o *Optimizer) NumGroups() int { return len(o.groups) }

// LR is group g's current learning rate.
func (o *Optimizer) LR(g int) float64 { return o.groups[g].lr }

// SetLR sets group g's learning rate; schedules call it.
func (o *Optimizer) SetLR(g int, lr float64) { o.groups[g].lr = lr }

// Step adds the regularization gradients, clips, and updates every parameter
// that has a gradient (a parameter whose Grad is nil is left alone, as PyTorch
// leaves one whose grad is None). A NaN or ±Inf gradient is reported as a
// *NonFiniteError before anything changes.
func (o *Optimizer) Step() error {
	if o.device != nil {
		return o.stepOnDevice()
	}
	if err := o.bind(); err != nil {
		return err
	}
	for _, g := range o.groups {
		for _, s := range g.params {
			if s.param.Grad != nil && !s.finite(o.partial) {
				return &NonFiniteError{Param: s.param.Name, Skipped: o.settings.SkipNonFinite}
			}
		}
	}
	for _, g := range o.groups {
		if g.reg.L1 == 0 && g.reg.L2 == 0 {
			continue
		}
		for _, s := range g.params {
			if s.param.Grad != nil && s.regularized {
				s.addPenaltyGrad(g.reg)
			}
		}
	}
	if v := o.settings.ClipGradValue; v > 0 {
		o.eachWithGrad(func(s *paramState) { s.clampGrad(v) })
	}
	if maxNorm := o.settings.ClipGradNorm; maxNorm > 0 {
		sum := 0.0
		o.eachWithGrad(func(s *paramState) { sum += s.gradSumSquares(o.partial) })
		o.eachWithGrad(func(s *paramState) { s.clipScale(sum, maxNorm) })
	}
	for _, g := range o.groups {
		for _, s := range g.params {
			if s.param.Grad == nil {
				continue
			}
			s.step++
			if s.f32 != nil {
				o.algo.update32(s.f32, s.step, g.lr, g.weightDecay)
			} else {
				o.algo.update64(s.f64, s.step, g.lr, g.weightDecay)
			}
		}
	}
	return nil
}

// bind points every parameter's tensors at its current value and gradient
// slices, checking their dtype and length against the state.
func (o *Optimizer) bind() error {
	for _, g := range o.groups {
		for _, s := range g.params {
			p := s.param
			n := s.n
			if p.Value == nil || p.Value.Len() != n || (p.Value.F32 != nil) != (s.f32 != nil) {
				return fmt.Errorf("solvers: %s changed shape or dtype since it was added", p.Name)
			}
			if p.Grad != nil && (p.Grad.Len() != n || (p.Grad.F32 != nil) != (s.f32 != nil)) {
				return fmt.Errorf("solvers: gradient of %s has %d %v values, want %d %v", p.Name, p.Grad.Len(), p.Grad.Dtype(), n, p.Value.Dtype())
			}
			if s.f32 != nil {
				s.f32.w = p.Value.F32
				s.f32.g = nil
				if p.Grad != nil {
					s.f32.g = p.Grad.F32
				}
			} else {
				s.f64.w = p.Value.F64
				s.f64.g = nil
				if p.Grad != nil {
					s.f64.g = p.Grad.F64
				}
			}
		}
	}
	return nil
}

func (o *Optimizer) eachWithGrad(fn func(*paramState)) {
	for _, g := range o.groups {
		for _, s := range g.params {
			if s.param.Grad != nil {
				fn(s)
			}
		}
	}
}

func (s *paramState) finite(partial []float64) bool {
	if s.f32 != nil {
		return kernels.AllFinite(s.f32.g, partial)
	}
	return kernels.AllFinite(s.f64.g, partial)
}

func (s *paramState) addPenaltyGrad(r Regularization) {
	if s.f32 != nil {
		kernels.PenaltyGrad(s.f32.w, s.f32.g, r.L1, r.L2)
	} else {
		kernels.PenaltyGrad(s.f64.w, s.f64.g, r.L1, r.L2)
	}
}

func (s *paramState) clampGrad(limit float64) {
	if s.f32 != nil {
		kernels.GradClamp(s.f32.g, limit)
	} else {
		kernels.GradClamp(s.f64.g, limit)
	}
}

func (s *paramState) gradSumSquares(partial []float64) float64 {
	if s.f32 != nil {
		return kernels.SumSquares(s.f32.g, partial)
	}
	return kernels.SumSquares(s.f64.g, partial)
}

func (s *paramState) clipScale(sumSquares, maxNorm float64) {
	if s.f32 != nil {
		kernels.ClipScale(s.f32.g, sumSquares, maxNorm)
	} else {
		kernels.ClipScale(s.f64.g, sumSquares, maxNorm)
	}
}
