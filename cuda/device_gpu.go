//go:build gpu

package cuda

import (
	"fmt"
	"runtime"

	"gorgonia.org/cu"
)

// Device is one GPU with its primary context, which the CUDA runtime (and so
// cuBLAS) shares.
type Device struct {
	Ordinal      int
	Name         string
	Major, Minor int   // compute capability
	Memory       int64 // bytes
	SMs          int   // multiprocessors

	dev cu.Device
	ctx cu.CUContext
}

// DeviceCount is the number of visible CUDA devices.
func DeviceCount() (int, error) {
	n, err := cu.NumDevices()
	return n, check("cuDeviceGetCount", err)
}

// DriverVersion is the CUDA version the driver supports, as the driver API
// writes it (12080 for 12.8), or -1 if the driver does not say.
func DriverVersion() int { return cu.Version() }

// Open retains the primary context of device ordinal.
func Open(ordinal int) (*Device, error) {
	n, err := DeviceCount()
	if err != nil {
		return nil, err
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("cuda: device %d does not exist: %d device(s) visible", ordinal, n)
	}
	d := &Device{Ordinal: ordinal}
	if d.dev, err = cu.GetDevice(ordinal); err != nil {
		return nil, check("cuDeviceGet", err)
	}
	if d.Name, err = d.dev.Name(); err != nil {
		return nil, check("cuDeviceGetName", err)
	}
	if d.Major, d.Minor, err = d.dev.ComputeCapability(); err != nil {
		return nil, check("cuDeviceGetAttribute(compute capability)", err)
	}
	if d.SMs, err = d.dev.Attribute(cu.MultiprocessorCount); err != nil {
		return nil, check("cuDeviceGetAttribute(multiprocessors)", err)
	}
	if d.Memory, err = d.dev.TotalMem(); err != nil {
		return nil, check("cuDeviceTotalMem", err)
	}
	if d.ctx, err = d.dev.RetainPrimaryCtx(); err != nil {
		return nil, check("cuDevicePrimaryCtxRetain", err)
	}
	return d, nil
}

func (d *Device) String() string {
	return fmt.Sprintf("%s (device %d, compute %d.%d, %d SMs, %.1f GiB)", d.Name, d.Ordinal, d.Major, d.Minor, d.SMs, float64(d.Memory)/(1<<30))
}

// Do runs fn on an OS thread where d's context is current. Driver calls act on
// the calling thread's current context, and goroutines move between threads, so
// every use of the device goes through Do (Do calls nest).
func (d *Device) Do(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return check("cuCtxSetCurrent", err)
	}
	return fn()
}

// Synchronize waits for all work on the device.
func (d *Device) Synchronize() error {
	return d.Do(func() error { return check("cuCtxSynchronize", cu.Synchronize()) })
}

// Close releases the primary context; buffers, streams and modules made on d
// must be released first.
func (d *Device) Close() error {
	return check("cuDevicePrimaryCtxRelease", d.dev.ReleasePrimaryCtx())
}
