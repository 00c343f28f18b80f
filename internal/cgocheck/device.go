package cgocheck

import (
	"unsafe"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// Device is a launch.Device whose transfers first hand their host buffer to
// Pass, as the GPU runtime hands it to the driver.
type Device struct{ launch.Device }

func (d Device) Upload(dst cuda.Ptr, src []float32) error {
	if len(src) > 0 {
		Pass(unsafe.Pointer(&src[0]))
	}
	return d.Device.Upload(dst, src)
}

func (d Device) UploadBytes(dst cuda.Ptr, src []byte) error {
	if len(src) > 0 {
		Pass(unsafe.Pointer(&src[0]))
	}
	return d.Device.UploadBytes(dst, src)
}

func (d Device) Download(dst []float32, src cuda.Ptr) error {
	if len(dst) > 0 {
		Pass(unsafe.Pointer(&dst[0]))
	}
	return d.Device.Download(dst, src)
}

func (d Device) DownloadBytes(dst []byte, src cuda.Ptr) error {
	if len(dst) > 0 {
		Pass(unsafe.Pointer(&dst[0]))
	}
	return d.Device.DownloadBytes(dst, src)
}
