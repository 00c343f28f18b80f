package param

// An exponential moving average of the parameters (solvers.EMA) on a device:
// the backend keeps it beside the parameters, laid out like them, so that an
// update is one fused launch; the averaging package knows nothing of devices.

// Averager is a device that keeps a moving average of its parameters there
// (graph's resident backends).
type Averager interface {
	// Name names the device in messages.
	Name() string
	// AttachAverage keeps the parameters on the device and allocates an
	// average of them there. Every parameter of params must be one of the
	// device's trainable float32 parameters.
	AttachAverage(params []*Param) (DeviceAverage, error)
}

// DeviceAverage is a moving average of parameters on a device.
type DeviceAverage interface {
	// Update sets average = decay·average + (1−decay)·value, queued after
	// whatever the device runs before (the optimizer's update).
	Update(decay float64) error
	// Push uploads each averaged parameter's average (of returns it); Pull
	// downloads them into the same buffers.
	Push(of func(*Param) []float32) error
	Pull(of func(*Param) []float32) error
	// Free releases the device memory.
	Free() error
}
