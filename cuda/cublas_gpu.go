//go:build gpu

package cuda

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <cuda.h>

// cuBLAS is loaded at run time: Debian ships cuBLAS 11 with versioned symbols,
// GPU hosts have 12 or 13, and the *_v2 entry points below have one ABI across
// them. Handles are void*, enums int, statuses int.
typedef int (*descent_create_fn)(void**);
typedef int (*descent_destroy_fn)(void*);
typedef int (*descent_set_stream_fn)(void*, CUstream);
typedef int (*descent_set_math_fn)(void*, int);
typedef int (*descent_set_workspace_fn)(void*, void*, size_t);
typedef int (*descent_sgemm_fn)(void*, int, int, int, int, int, const float*,
	const float*, int, const float*, int, const float*, float*, int);

static void* descent_cublas_lib;
static descent_create_fn descent_cublas_create;
static descent_destroy_fn descent_cublas_destroy;
static descent_set_stream_fn descent_cublas_set_stream;
static descent_set_math_fn descent_cublas_set_math;
static descent_set_workspace_fn descent_cublas_set_workspace; // optional: cuBLAS 11.4 and later
static descent_sgemm_fn descent_cublas_sgemm;

// descent_cublas_load opens path and resolves the entry points. It returns
// NULL on success, else why not, in memory the caller frees: dlerror's message
// is read here, in the same call as the dlopen, as another call may run on
// another thread, whose dlerror knows nothing of this one. Entry points of a
// library that loaded are kept only when all are present.
static char* descent_cublas_load(const char* path, const char* lt) {
	// cuBLAS needs its libcublasLt; loaded first from beside an absolute
	// path, it satisfies that dependency without LD_LIBRARY_PATH.
	if (lt) dlopen(lt, RTLD_NOW | RTLD_LOCAL);
	void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == 0) {
		const char* why = dlerror();
		return strdup(why ? why : "dlopen failed");
	}
	descent_create_fn create = (descent_create_fn)dlsym(lib, "cublasCreate_v2");
	descent_destroy_fn destroy = (descent_destroy_fn)dlsym(lib, "cublasDestroy_v2");
	descent_set_stream_fn set_stream = (descent_set_stream_fn)dlsym(lib, "cublasSetStream_v2");
	descent_set_math_fn set_math = (descent_set_math_fn)dlsym(lib, "cublasSetMathMode");
	descent_sgemm_fn sgemm = (descent_sgemm_fn)dlsym(lib, "cublasSgemm_v2");
	if (!create || !destroy || !set_stream || !set_math || !sgemm) {
		dlclose(lib);
		return strdup("missing a *_v2 entry point");
	}
	descent_cublas_lib = lib;
	descent_cublas_create = create;
	descent_cublas_destroy = destroy;
	descent_cublas_set_stream = set_stream;
	descent_cublas_set_math = set_math;
	descent_cublas_sgemm = sgemm;
	descent_cublas_set_workspace = (descent_set_workspace_fn)dlsym(lib, "cublasSetWorkspace_v2");
	return 0;
}

static int descent_cublas_create_handle(void** h) { return descent_cublas_create(h); }
static int descent_cublas_destroy_handle(void* h) { return descent_cublas_destroy(h); }
static int descent_cublas_stream(void* h, CUstream s) { return descent_cublas_set_stream(h, s); }
static int descent_cublas_math(void* h, int mode) { return descent_cublas_set_math(h, mode); }
static int descent_cublas_has_workspace(void) { return descent_cublas_set_workspace != 0; }
static int descent_cublas_workspace(void* h, CUdeviceptr w, size_t bytes) {
	return descent_cublas_set_workspace(h, (void*)w, bytes);
}
static int descent_cublas_gemm(void* h, int ta, int tb, int m, int n, int k, float alpha,
	CUdeviceptr a, int lda, CUdeviceptr b, int ldb, float beta, CUdeviceptr c, int ldc) {
	return descent_cublas_sgemm(h, ta, tb, m, n, k, &alpha, (const float*)a, lda,
		(const float*)b, ldb, &beta, (float*)c, ldc);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"gorgonia.org/cu"
)

// cublasLibraries are tried in order; DESCENT_CUBLAS, when set, replaces them
// with its colon-separated list of names or paths.
var cublasLibraries = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}

// cublasChosen is the library whose handle creation succeeded first in this
// process; later handles come from it. Its mutex also orders the loads.
var cublasChosen struct {
	sync.Mutex
	path    string
	skipped []string // the candidates before it, each with why it failed
}

// cublasCandidates lists the libraries to try, in order.
func cublasCandidates() []string {
	if v := os.Getenv("DESCENT_CUBLAS"); v != "" {
		return strings.FieldsFunc(v, func(r rune) bool { return r == ':' })
	}
	return cublasLibraries
}

// loadCUBLAS opens path and resolves its entry points; the error carries
// dlopen's reason. A path with a folder has its libcublasLt loaded from there
// first, if one is there.
func loadCUBLAS(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var clt *C.char
	if dir, file := filepath.Split(path); dir != "" {
		lt := filepath.Join(dir, strings.Replace(file, "libcublas.", "libcublasLt.", 1))
		if _, err := os.Stat(lt); err == nil {
			clt = C.CString(lt)
			defer C.free(unsafe.Pointer(clt))
		}
	}
	if why := C.descent_cublas_load(cpath, clt); why != nil {
		defer C.free(unsafe.Pointer(why))
		return errors.New(C.GoString(why))
	}
	return nil
}

// createHandle loads cuBLAS if no library has created a handle yet and
// creates one; call inside Do. A library that opens but cannot create a
// handle (cuBLAS 13 under a CUDA 12 driver, say) gives way to the next
// candidate; the error names every library tried and why it failed. The
// libraries that failed stay loaded: unloading CUDA libraries is not safe.
func createHandle() (unsafe.Pointer, error) {
	cublasChosen.Lock()
	defer cublasChosen.Unlock()
	if cublasChosen.path != "" {
		var h unsafe.Pointer
		if err := cublasError("cublasCreate_v2", C.descent_cublas_create_handle(&h)); err != nil {
			return nil, fmt.Errorf("%w (cuBLAS from %s)", err, cublasChosen.path)
		}
		return h, nil
	}
	var tried []string
	for _, path := range cublasCandidates() {
		if err := loadCUBLAS(path); err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", path, err))
			continue
		}
		var h unsafe.Pointer
		if err := cublasError("cublasCreate_v2", C.descent_cublas_create_handle(&h)); err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", path, err))
			continue
		}
		cublasChosen.path, cublasChosen.skipped = path, tried
		return h, nil
	}
	return nil, fmt.Errorf("cuda: no usable cuBLAS: tried %s; set DESCENT_CUBLAS to the library's path (several separated by colons)", strings.Join(tried, ", "))
}

// cublasStatusNames are cublasStatus_t's names.
var cublasStatusNames = map[int]string{
	1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED",
	7: "CUBLAS_STATUS_INVALID_VALUE", 8: "CUBLAS_STATUS_ARCH_MISMATCH",
	11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED",
	16: "CUBLAS_STATUS_LICENSE_ERROR",
}

func cublasError(op string, status C.int) error {
	if status == 0 {
		return nil
	}
	name, ok := cublasStatusNames[int(status)]
	if !ok {
		name = "CUBLAS_STATUS_UNKNOWN"
	}
	return &Error{Op: op, Code: int(status), Name: name}
}

// BLAS is a cuBLAS handle bound to one stream.
type BLAS struct {
	Library   string   // the library the handle comes from
	Skipped   []string // the candidates tried before Library, each with why it failed
	h         unsafe.Pointer
	dev       *Device
	workspace cu.DevicePtr // cuBLAS's scratch, ours; 0 with a cuBLAS too old to take one
}

// blasWorkspace is the scratch given to cuBLAS, the size its documentation
// recommends for Hopper. Without one, cuBLAS 12.2 and later allocate their
// default workspace stream-ordered, which inside a CUDA graph capture becomes
// an allocation node the graph keeps.
const blasWorkspace = 32 << 20

// rawStream is the CUstream inside a cu.Stream, a struct of that one handle.
func rawStream(s cu.Stream) C.CUstream {
	return *(*C.CUstream)(unsafe.Pointer(&s))
}

// The cast in rawStream holds only while cu.Stream is exactly one handle.
var _ [unsafe.Sizeof(cu.Stream{}) - unsafe.Sizeof(C.CUstream(nil))]struct{}
var _ [unsafe.Sizeof(C.CUstream(nil)) - unsafe.Sizeof(cu.Stream{})]struct{}

// NewBLAS creates a cuBLAS handle whose calls go to stream s, loading cuBLAS
// first if no handle exists yet (see createHandle). The math mode is cuBLAS's default: true float32, no TF32.
func (s *Stream) NewBLAS() (*BLAS, error) {
	b := &BLAS{dev: s.dev}
	err := s.dev.Do(func() error {
		h, err := createHandle()
		if err != nil {
			return err
		}
		b.h, b.Library, b.Skipped = h, cublasChosen.path, cublasChosen.skipped
		if err := cublasError("cublasSetStream_v2", C.descent_cublas_stream(h, rawStream(s.s))); err != nil {
			return err
		}
		// After SetStream, which resets the workspace to cuBLAS's own.
		if C.descent_cublas_has_workspace() == 0 {
			return nil
		}
		w, err := cu.MemAlloc(blasWorkspace)
		if err != nil {
			return check(fmt.Sprintf("cuMemAlloc(%d bytes) for the cuBLAS workspace", blasWorkspace), err)
		}
		b.workspace = w
		return cublasError("cublasSetWorkspace_v2", C.descent_cublas_workspace(h, C.CUdeviceptr(w), blasWorkspace))
	})
	if err != nil {
		return nil, errors.Join(err, b.release())
	}
	return b, nil
}

// SetTF32 lets float32 GEMMs use TF32 tensor cores (10-bit mantissa products),
// faster on Ampere and later and less exact; off by default.
func (b *BLAS) SetTF32(on bool) error {
	mode := C.int(0) // CUBLAS_DEFAULT_MATH
	if on {
		mode = 3 // CUBLAS_TF32_TENSOR_OP_MATH
	}
	return b.dev.Do(func() error { return cublasError("cublasSetMathMode", C.descent_cublas_math(b.h, mode)) })
}

// Gemm queues the column-major SGEMM g with scalars alpha and beta.
func (b *BLAS) Gemm(g ColMajor, alpha, beta float32) error {
	op := func(t bool) C.int {
		if t {
			return 1 // CUBLAS_OP_T
		}
		return 0
	}
	return b.dev.Do(func() error {
		status := C.descent_cublas_gemm(b.h,
			op(g.TransA), op(g.TransB), C.int(g.M), C.int(g.N), C.int(g.K), C.float(alpha),
			C.CUdeviceptr(g.A), C.int(g.LDA), C.CUdeviceptr(g.B), C.int(g.LDB), C.float(beta),
			C.CUdeviceptr(g.C), C.int(g.LDC))
		if status == 0 {
			return nil // the message is formatted only on failure: a step allocates nothing
		}
		return cublasError(fmt.Sprintf("cublasSgemm_v2(m=%d n=%d k=%d)", g.M, g.N, g.K), status)
	})
}

// Close destroys the handle and frees its workspace.
func (b *BLAS) Close() error {
	if b.h == nil {
		return errors.New("cuda: BLAS handle closed twice")
	}
	return b.release()
}

// release destroys the handle, then frees the workspace, whichever exist.
func (b *BLAS) release() error {
	h, w := b.h, b.workspace
	b.h, b.workspace = nil, 0
	return b.dev.Do(func() error {
		var errs []error
		if h != nil {
			errs = append(errs, cublasError("cublasDestroy_v2", C.descent_cublas_destroy_handle(h)))
		}
		if w != 0 {
			errs = append(errs, check("cuMemFree", cu.MemFree(w)))
		}
		return errors.Join(errs...)
	})
}
