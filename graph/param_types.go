package graph

import (
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph/param"
)

// A model's buffers and parameters, and the optimizer's device update, are
// package param's: a leaf that package solvers uses without the device code of
// this package. These names are the same types under graph's name.
type (
	Buffer        = param.Buffer
	Param         = param.Param
	ParamKind     = param.ParamKind
	UpdatePlan    = param.UpdatePlan
	FusedKernel   = param.FusedKernel
	Penalty       = param.Penalty
	DeviceUpdate  = param.DeviceUpdate
	DeviceAverage = param.DeviceAverage
)

// The kinds of parameters (see param.ParamKind).
const (
	Weight    = param.Weight
	Bias      = param.Bias
	NormScale = param.NormScale
	NormShift = param.NormShift
	State     = param.State
)

// NewBuffer allocates a zeroed buffer of the given dtype and shape.
func NewBuffer(dt tensor.Dtype, shape ...int) *Buffer { return param.NewBuffer(dt, shape...) }
