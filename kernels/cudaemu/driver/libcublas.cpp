// libcublas.cpp — a TEST DOUBLE of cuBLAS, not cuBLAS: the *_v2 entry points
// that package cuda resolves with dlopen (DESCENT_CUBLAS names this library),
// with SGEMM computed on the CPU (sgemm.h). It contains no NVIDIA code and
// uses only cuda.h and the libcuda test double (libcuda.cpp), which it links.
//
// A GEMM runs in its stream's order: at once, as the libcuda double runs all
// work, or, while the stream is capturing, as a host function the graph
// replays (cuLaunchHostFunc). In CUBLAS_TF32_TENSOR_OP_MATH the inputs go
// through to_tf32, as tensor cores read them. Faults on demand:
// DESCENT_CUBLAS_FAULT=cublasSgemm_v2:CUBLAS_STATUS_EXECUTION_FAILED[:n], as
// faults.h describes.
#include <cuda.h>

#include <memory>
#include <mutex>

#include "faults.h"
#include "sgemm.h"

#define API extern "C"

namespace {

// cublasStatus_t's values (cublas_api.h is not part of the build).
enum Status {
	kSuccess = 0,
	kNotInitialized = 1,
	kAllocFailed = 3,
	kInvalidValue = 7,
	kArchMismatch = 8,
	kMappingError = 11,
	kExecutionFailed = 13,
	kInternalError = 14,
	kNotSupported = 15,
	kLicenseError = 16,
};

int status_code(const std::string& name) {
	static const std::pair<const char*, int> names[] = {
		{"CUBLAS_STATUS_NOT_INITIALIZED", kNotInitialized}, {"CUBLAS_STATUS_ALLOC_FAILED", kAllocFailed},
		{"CUBLAS_STATUS_INVALID_VALUE", kInvalidValue}, {"CUBLAS_STATUS_ARCH_MISMATCH", kArchMismatch},
		{"CUBLAS_STATUS_MAPPING_ERROR", kMappingError}, {"CUBLAS_STATUS_EXECUTION_FAILED", kExecutionFailed},
		{"CUBLAS_STATUS_INTERNAL_ERROR", kInternalError}, {"CUBLAS_STATUS_NOT_SUPPORTED", kNotSupported},
		{"CUBLAS_STATUS_LICENSE_ERROR", kLicenseError},
	};
	for (const auto& n : names) {
		if (name == n.first) return n.second;
	}
	return 0;
}

const int kDefaultMath = 0, kTF32TensorOpMath = 3, kMathModeMask = 0xf;
const int kOpN = 0, kOpT = 1, kOpC = 2;

std::mutex mu;
Faults faults("DESCENT_CUBLAS_FAULT", status_code);

// Gemm is one SGEMM with its scalars, as queued.
struct Gemm {
	bool ta, tb, tf32;
	int m, n, k, lda, ldb, ldc;
	float alpha, beta;
	const float *a, *b;
	float* c;

	void run() const { sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, tf32); }
};

void run_gemm(void* g) { static_cast<const Gemm*>(g)->run(); }

struct Handle {
	CUstream stream = nullptr;
	int math = kDefaultMath;
	void* workspace = nullptr;
	size_t workspace_bytes = 0;
	std::vector<std::unique_ptr<Gemm>> captured;  // the GEMMs graphs replay, kept until destroy
};

#define ENTER(name)                                  \
	std::lock_guard<std::mutex> lock(mu);            \
	if (int injected = faults.injected(name)) return injected;

}  // namespace

API int cublasCreate_v2(void** handle) {
	ENTER("cublasCreate_v2");
	if (handle == nullptr) return kInvalidValue;
	CUcontext ctx = nullptr;
	if (cuCtxGetCurrent(&ctx) != CUDA_SUCCESS || ctx == nullptr) return kNotInitialized;
	*handle = new Handle();
	return kSuccess;
}

API int cublasDestroy_v2(void* handle) {
	ENTER("cublasDestroy_v2");
	if (handle == nullptr) return kNotInitialized;
	delete static_cast<Handle*>(handle);
	return kSuccess;
}

API int cublasSetStream_v2(void* handle, CUstream stream) {
	ENTER("cublasSetStream_v2");
	if (handle == nullptr) return kNotInitialized;
	Handle* h = static_cast<Handle*>(handle);
	h->stream = stream;
	h->workspace = nullptr;  // as cuBLAS does: back to its own workspace
	h->workspace_bytes = 0;
	return kSuccess;
}

API int cublasSetWorkspace_v2(void* handle, void* workspace, size_t bytes) {
	ENTER("cublasSetWorkspace_v2");
	if (handle == nullptr) return kNotInitialized;
	if (bytes > 0 && workspace == nullptr) return kInvalidValue;
	Handle* h = static_cast<Handle*>(handle);
	h->workspace = workspace;
	h->workspace_bytes = bytes;
	return kSuccess;
}

API int cublasSetMathMode(void* handle, int mode) {
	ENTER("cublasSetMathMode");
	if (handle == nullptr) return kNotInitialized;
	int base = mode & kMathModeMask;
	if (base > kTF32TensorOpMath) return kInvalidValue;
	static_cast<Handle*>(handle)->math = mode;
	return kSuccess;
}

API int cublasSgemm_v2(void* handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* a,
	int lda, const float* b, int ldb, const float* beta, float* c, int ldc) {
	ENTER("cublasSgemm_v2");
	if (handle == nullptr) return kNotInitialized;
	Handle* h = static_cast<Handle*>(handle);
	bool ta = transa != kOpN, tb = transb != kOpN;
	if (transa < kOpN || transa > kOpC || transb < kOpN || transb > kOpC || m < 0 || n < 0 || k < 0 ||
		lda < std::max(1, ta ? k : m) || ldb < std::max(1, tb ? n : k) || ldc < std::max(1, m) || alpha == nullptr ||
		beta == nullptr) {
		return kInvalidValue;
	}
	if (m == 0 || n == 0) return kSuccess;
	Gemm g{ta, tb, (h->math & kMathModeMask) == kTF32TensorOpMath, m, n, k, lda, ldb, ldc, *alpha, *beta, a, b, c};
	CUstreamCaptureStatus capture;
	if (cuStreamIsCapturing(h->stream, &capture) != CUDA_SUCCESS) return kExecutionFailed;
	if (capture == CU_STREAM_CAPTURE_STATUS_NONE) {
		g.run();  // the stream runs its work at once
		return kSuccess;
	}
	h->captured.push_back(std::make_unique<Gemm>(g));
	return cuLaunchHostFunc(h->stream, run_gemm, h->captured.back().get()) == CUDA_SUCCESS ? kSuccess : kExecutionFailed;
}
