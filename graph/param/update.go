package param

// An optimizer that runs on a device describes its update (UpdatePlan) and
// the device's backend runs it (Updater, DeviceUpdate): the backend owns every
// device buffer of training — parameters, gradients and the optimizer's
// state slots, in one layout — and the optimizer's package knows nothing of
// devices.

// FusedKernel is an algorithm's fused update kernel (kernels/optim.cu: "SGD",
// "Adagrad", "Adadelta", "RMSProp", "Adam"), which updates every tensor of
// the parameter region in one launch. SlotArgs lists, for each state buffer
// argument of the kernel in order, the index of the optimizer's state slot
// passed there, or -1 for a null pointer (an option that is off).
type FusedKernel struct {
	Name     string
	SlotArgs []int
}

// Penalty is an L1/L2 penalty gradient, l1·sign(w) + l2·w, added to a
// parameter's gradient before clipping.
type Penalty struct {
	Param  *Param
	L1, L2 float64
}

// UpdatePlan is an optimizer's update as a device runs it after every
// training run: the non-finite check over the gradients of Groups'
// parameters, the Penalties, clipping by value then by global norm (0: off),
// and one launch of Kernel, each group reading its row of RowLen
// hyperparameters. Parameters in no group are left alone.
type UpdatePlan struct {
	Kernel    FusedKernel
	Slots     int // state slots, each laid out like the parameters
	RowLen    int
	Groups    [][]*Param
	Penalties []Penalty
	ClipValue float64
	ClipNorm  float64
	// Rows, when set, puts the update inside every training run, after the
	// backward pass (in the same CUDA graph): the device calls Rows to fill
	// the groups' rows of the coming step just before the run. Update is then
	// not called; NonFinite tells about the last training run.
	Rows func(dst []float32)
}

// Updater is a device that keeps the parameters and runs optimizers' updates
// there (graph's resident backends).
type Updater interface {
	// Name names the device in messages.
	Name() string
	// AttachUpdate keeps the parameters on the device and prepares an
	// optimizer's update there, with its state slots.
	AttachUpdate(UpdatePlan) (DeviceUpdate, error)
}

// DeviceUpdate is an UpdatePlan prepared on a device, with its state slots.
type DeviceUpdate interface {
	// Update queues the non-finite check, penalties, clipping and the fused
	// kernel with the groups' hyperparameter rows, concatenated; when a
	// gradient is not finite, the device leaves parameters and state alone.
	Update(rows []float32) error
	// NonFinite tells whether the last update was skipped: the first
	// parameter, in group order, whose gradient held NaN or ±Inf, or nil.
	NonFinite() (*Param, error)
	// PushSlot uploads a state slot from each parameter's host buffer (of
	// returns it); PullSlot downloads it into them.
	PushSlot(slot int, of func(*Param) []float32) error
	PullSlot(slot int, of func(*Param) []float32) error
}
