package param

// ParamKind tells what role a parameter plays; regularization and weight decay
// apply to weights by default, not to biases or normalization parameters.
type ParamKind int

const (
	// Weight is a linear or convolution weight.
	Weight ParamKind = iota
	// Bias is an additive bias.
	Bias
	// NormScale and NormShift are batch norm's γ and β.
	NormScale
	NormShift
	// State is persistent, non-trainable state such as batch norm's running mean.
	State
)

// String names the kind as users read it.
func (k ParamKind) String() string {
	return [...]string{"weight", "bias", "norm_scale", "norm_shift", "state"}[k]
}

// Param is a named, persistent model tensor. Trainable parameters have a Grad of
// the same shape, filled by each backward pass; state (Kind == State) has none.
type Param struct {
	Name  string // stable, PyTorch-style: "conv1.weight", "bn1.running_mean"
	Kind  ParamKind
	Value *Buffer
	Grad  *Buffer
}

// Trainable reports whether a solver should update p.
func (p *Param) Trainable() bool { return p.Kind != State && p.Grad != nil }
