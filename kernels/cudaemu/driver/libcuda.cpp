// libcuda.cpp — a TEST DOUBLE of libcuda.so.1, not a CUDA driver. It contains
// no NVIDIA code: it is written against the cuda.h that
// scripts/fetch-cuda-headers.sh extracts for the gpu build, and it lets the
// `gpu` test binaries and the gpu train binary run on a machine without a GPU
// (CI), with the kernels of kernels/*.cu compiled by g++ (grid.h) instead of
// the PTX. Package cudaemu's BuildStandIns builds it.
//
// It implements the driver calls that Descent makes, with cuda.h's signatures
// and CUresult codes, on one emulated device with an H100's attributes:
//   - device memory is host memory (CUdeviceptr is the address), filled with
//     NaN bytes when allocated; copies and memsets check that their device
//     range lies in one allocation;
//   - streams run their work at once, in order, so every copy, launch and
//     event is complete when its call returns; events record the time then;
//   - cuModuleLoadData keeps the PTX's .entry names, cuModuleGetFunction
//     finds only those, and cuLaunchKernel runs the twin compiled from the
//     same .cu source, with the arguments read from the 8-byte slots;
//   - stream capture records the work instead of running it, a graph replays
//     the record; what the driver refuses during a capture (synchronizing the
//     capturing stream or the context, allocation in the strict capture
//     modes) fails with its error and invalidates the capture;
//   - faults on demand: DESCENT_CUDA_FAULT=name:CUDA_ERROR_X[:n][,…] makes
//     the n-th call (default the first) and every later call of the driver
//     function name (cuMemAlloc_v2 or cuMemAlloc) return CUDA_ERROR_X; the
//     variable is read at every call, and a new value restarts the count.
// Any other driver function the binaries import is defined by a generated
// stub that aborts naming it (BuildStandIns), so a new driver call shows up in
// CI at once.
#include <cuda.h>

#include "faults.h"
#include "grid.h"

#include <chrono>
#include <mutex>
#include <set>

// The exports: cuda.h declares them extern "C"; exports.map keeps every other
// symbol local.
#define API extern "C"

namespace {

// ---- errors and faults -------------------------------------------------------

struct ErrorName {
	CUresult code;
	const char* name;
	const char* text;
};

#define E(code, text) {code, #code, text}
const ErrorName kErrors[] = {
	E(CUDA_SUCCESS, "no error"),
	E(CUDA_ERROR_INVALID_VALUE, "invalid argument"),
	E(CUDA_ERROR_OUT_OF_MEMORY, "out of memory"),
	E(CUDA_ERROR_NOT_INITIALIZED, "initialization error: cuInit has not been called"),
	E(CUDA_ERROR_DEINITIALIZED, "driver shutting down"),
	E(CUDA_ERROR_NO_DEVICE, "no CUDA-capable device is detected"),
	E(CUDA_ERROR_INVALID_DEVICE, "invalid device ordinal"),
	E(CUDA_ERROR_INVALID_IMAGE, "device kernel image is invalid"),
	E(CUDA_ERROR_INVALID_CONTEXT, "invalid device context"),
	E(CUDA_ERROR_CONTEXT_IS_DESTROYED, "context is destroyed"),
	E(CUDA_ERROR_ECC_UNCORRECTABLE, "uncorrectable ECC error encountered"),
	E(CUDA_ERROR_INVALID_PTX, "a PTX JIT compilation failed"),
	E(CUDA_ERROR_INVALID_HANDLE, "invalid resource handle"),
	E(CUDA_ERROR_NOT_FOUND, "named symbol not found"),
	E(CUDA_ERROR_NOT_READY, "device not ready"),
	E(CUDA_ERROR_ILLEGAL_ADDRESS, "an illegal memory access was encountered"),
	E(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "too many resources requested for launch"),
	E(CUDA_ERROR_LAUNCH_TIMEOUT, "the launch timed out and was terminated"),
	E(CUDA_ERROR_LAUNCH_FAILED, "unspecified launch failure"),
	E(CUDA_ERROR_ILLEGAL_STATE, "the operation is not valid in the current state"),
	E(CUDA_ERROR_NOT_SUPPORTED, "operation not supported"),
	E(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "operation not permitted when stream is capturing"),
	E(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, "operation failed due to a previous error during capture"),
	E(CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD, "attempt to terminate a thread-local capture from another thread"),
	E(CUDA_ERROR_UNKNOWN, "unknown error"),
};
#undef E

const ErrorName* find_error(CUresult code) {
	for (const ErrorName& e : kErrors) {
		if (e.code == code) return &e;
	}
	return nullptr;
}

// std::recursive_mutex: a host function run by a stream (cuLaunchHostFunc)
// may call back into the driver.
std::recursive_mutex mu;

[[noreturn]] void die(const std::string& msg) {
	fprintf(stderr, "libcuda stand-in (a test double, not a CUDA driver): %s\n", msg.c_str());
	abort();
}

int error_code(const std::string& name) {
	for (const ErrorName& e : kErrors) {
		if (name == e.name) return e.code;
	}
	return 0;
}

Faults faults("DESCENT_CUDA_FAULT", error_code);

// ---- the device ----------------------------------------------------------------

const char* const kName = "NVIDIA H100 80GB HBM3 (CPU stand-in)";
const size_t kMemory = 85017755648;  // what an H100 SXM 80GB reports

bool initialized;

}  // namespace

// The handles of cuda.h's opaque types.
struct CUctx_st {
	int refs;  // primary context retains
};

struct CUfunc_st {
	std::string name;
	const Kernel* kernel;
};

struct CUmod_st {
	std::set<std::string> entries;
	std::map<std::string, CUfunc_st> functions;
};

// Op is one piece of stream work, run at once or recorded by a capture.
typedef std::function<CUresult()> Op;

struct CUgraph_st {
	std::vector<Op> ops;
};

struct CUgraphExec_st {
	std::vector<Op> ops;
};

struct CUstream_st {
	unsigned flags;
	CUgraph_st* capture;  // the graph being recorded, or null
	CUstreamCaptureMode mode;
	bool invalidated;  // the capture met an error: ending it fails
};

struct CUevent_st {
	unsigned flags;
	bool recorded;
	double ms;  // the time it was recorded, on a steady clock
};

namespace {

CUctx_st primary;
thread_local CUcontext current;
std::map<std::string, Kernel> kernels = registry();
std::map<uintptr_t, size_t> device_memory;  // allocation → bytes
size_t allocated;
std::map<void*, size_t> pinned;
std::set<CUstream> streams;

double now_ms() {
	return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

CUresult need_context() {
	if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
	if (current == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
	if (current->refs == 0) return CUDA_ERROR_CONTEXT_IS_DESTROYED;
	return CUDA_SUCCESS;
}

// ENTER starts every driver call: one call at a time, the injected fault, cuInit.
#define ENTER(name)                                            \
	std::lock_guard<std::recursive_mutex> lock(mu);            \
	if (int injected = faults.injected(name)) return (CUresult)injected;      \
	if (!initialized && strcmp(name, "cuInit") != 0 &&         \
		strcmp(name, "cuGetErrorName") != 0 && strcmp(name, "cuGetErrorString") != 0) \
		return CUDA_ERROR_NOT_INITIALIZED;

#define NEED_CONTEXT()                                     \
	if (CUresult r = need_context(); r != CUDA_SUCCESS) return r;

// in_device_memory reports whether [p, p+n) lies within one allocation.
bool in_device_memory(CUdeviceptr p, size_t n) {
	auto it = device_memory.upper_bound((uintptr_t)p);
	if (it == device_memory.begin()) return false;
	--it;
	return (uintptr_t)p + n <= it->first + it->second;
}

bool is_stream(CUstream s) {
	return s == nullptr || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD || streams.count(s) > 0;
}

CUstream_st* own_stream(CUstream s) {
	return s == nullptr || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD ? nullptr : s;
}

// capture_refuses ends with the driver's error for a call a capture on s (or,
// with s null, any capture) does not allow, invalidating that capture.
CUresult refuse_in_capture(CUstream s) {
	CUresult r = CUDA_SUCCESS;
	for (CUstream c : streams) {
		if (c->capture != nullptr && (s == nullptr || c == s)) {
			c->invalidated = true;
			r = CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
		}
	}
	return r;
}

// strict_capture reports whether a capture in global or thread-local mode is
// under way: those forbid the calls that are unsafe during capture, such as
// allocation; relaxed mode allows them.
bool strict_capture() {
	for (CUstream c : streams) {
		if (c->capture != nullptr && c->mode != CU_STREAM_CAPTURE_MODE_RELAXED) return true;
	}
	return false;
}

// enqueue runs op on stream s now, or records it when s is capturing.
CUresult enqueue(CUstream s, Op op) {
	if (!is_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
	CUstream_st* st = own_stream(s);
	if (st != nullptr && st->capture != nullptr) {
		st->capture->ops.push_back(std::move(op));
		return CUDA_SUCCESS;
	}
	return op();
}

bool word_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

// ptx_entries lists the kernels a PTX module defines (".entry name(").
std::set<std::string> ptx_entries(const char* ptx) {
	std::set<std::string> names;
	for (const char* p = strstr(ptx, ".entry"); p != nullptr; p = strstr(p + 6, ".entry")) {
		const char* q = p + 6;
		if (!isspace((unsigned char)*q)) continue;
		while (isspace((unsigned char)*q)) q++;
		const char* start = q;
		while (word_char(*q)) q++;
		if (q > start) names.insert(std::string(start, q));
	}
	return names;
}

}  // namespace

// ---- initialization, device, context -------------------------------------------

API CUresult cuInit(unsigned int flags) {
	ENTER("cuInit");
	if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
	initialized = true;
	return CUDA_SUCCESS;
}

API CUresult cuGetErrorName(CUresult code, const char** name) {
	ENTER("cuGetErrorName");
	const ErrorName* e = find_error(code);
	if (name == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*name = e ? e->name : nullptr;
	return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

API CUresult cuGetErrorString(CUresult code, const char** text) {
	ENTER("cuGetErrorString");
	const ErrorName* e = find_error(code);
	if (text == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*text = e ? e->text : nullptr;
	return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// cuDriverGetVersion reports the version of the cuda.h this double implements.
API CUresult cuDriverGetVersion(int* version) {
	ENTER("cuDriverGetVersion");
	if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*version = CUDA_VERSION;
	return CUDA_SUCCESS;
}

API CUresult cuDeviceGetCount(int* count) {
	ENTER("cuDeviceGetCount");
	if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*count = 1;
	return CUDA_SUCCESS;
}

API CUresult cuDeviceGet(CUdevice* device, int ordinal) {
	ENTER("cuDeviceGet");
	if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
	if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
	*device = 0;
	return CUDA_SUCCESS;
}

API CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
	ENTER("cuDeviceGetName");
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	if (name == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
	snprintf(name, (size_t)len, "%s", kName);
	return CUDA_SUCCESS;
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
	ENTER("cuDeviceTotalMem_v2");
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*bytes = kMemory;
	return CUDA_SUCCESS;
}

// cuDeviceGetAttribute answers with an H100 SXM's values.
API CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attrib, CUdevice dev) {
	ENTER("cuDeviceGetAttribute");
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
	static const std::map<CUdevice_attribute, int> h100 = {
		{CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 9},
		{CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0},
		{CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 132},
		{CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1024},
		{CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, 1024},
		{CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, 1024},
		{CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, 64},
		{CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, 2147483647},
		{CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, 65535},
		{CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, 65535},
		{CU_DEVICE_ATTRIBUTE_WARP_SIZE, 32},
		{CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 49152},
		{CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, 2048},
		{CU_DEVICE_ATTRIBUTE_CLOCK_RATE, 1980000},
		{CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, 2619000},
		{CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, 5120},
		{CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, 52428800},
		{CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS, 1},
		{CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING, 1},
	};
	auto it = h100.find(attrib);
	if (it == h100.end()) die("cuDeviceGetAttribute: attribute " + std::to_string((int)attrib) + " has no H100 value here");
	*value = it->second;
	return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
	ENTER("cuDevicePrimaryCtxRetain");
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
	primary.refs++;
	*ctx = &primary;
	return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
	ENTER("cuDevicePrimaryCtxRelease_v2");
	if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
	if (primary.refs == 0) return CUDA_ERROR_INVALID_CONTEXT;
	primary.refs--;
	return CUDA_SUCCESS;
}

API CUresult cuCtxSetCurrent(CUcontext ctx) {
	ENTER("cuCtxSetCurrent");
	if (ctx != nullptr && ctx != &primary) return CUDA_ERROR_INVALID_CONTEXT;
	current = ctx;
	return CUDA_SUCCESS;
}

API CUresult cuCtxGetCurrent(CUcontext* ctx) {
	ENTER("cuCtxGetCurrent");
	if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
	*ctx = current;
	return CUDA_SUCCESS;
}

API CUresult cuCtxSynchronize(void) {
	ENTER("cuCtxSynchronize");
	NEED_CONTEXT();
	return refuse_in_capture(nullptr);
}

// ---- memory ------------------------------------------------------------------

API CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
	ENTER("cuMemAlloc_v2");
	NEED_CONTEXT();
	if (p == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
	if (strict_capture()) return refuse_in_capture(nullptr);
	if (bytes > kMemory - allocated) return CUDA_ERROR_OUT_OF_MEMORY;
	void* m = aligned_alloc(256, (bytes + 255) / 256 * 256);
	if (m == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
	memset(m, 0xff, bytes);  // uninitialized device memory reads as NaN
	device_memory[(uintptr_t)m] = bytes;
	allocated += bytes;
	*p = (CUdeviceptr)(uintptr_t)m;
	return CUDA_SUCCESS;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
	ENTER("cuMemFree_v2");
	NEED_CONTEXT();
	if (p == 0) return CUDA_SUCCESS;
	if (strict_capture()) return refuse_in_capture(nullptr);
	auto it = device_memory.find((uintptr_t)p);
	if (it == device_memory.end()) return CUDA_ERROR_INVALID_VALUE;
	allocated -= it->second;
	device_memory.erase(it);
	free((void*)(uintptr_t)p);
	return CUDA_SUCCESS;
}

API CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
	ENTER("cuMemAllocHost_v2");
	NEED_CONTEXT();
	if (p == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
	if (strict_capture()) return refuse_in_capture(nullptr);
	void* m = malloc(bytes);
	if (m == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
	pinned[m] = bytes;
	*p = m;
	return CUDA_SUCCESS;
}

API CUresult cuMemFreeHost(void* p) {
	ENTER("cuMemFreeHost");
	NEED_CONTEXT();
	if (strict_capture()) return refuse_in_capture(nullptr);
	auto it = pinned.find(p);
	if (it == pinned.end()) return CUDA_ERROR_INVALID_VALUE;
	pinned.erase(it);
	free(p);
	return CUDA_SUCCESS;
}

API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, CUstream s) {
	ENTER("cuMemcpyHtoDAsync_v2");
	NEED_CONTEXT();
	if (!in_device_memory(dst, bytes) || src == nullptr) return CUDA_ERROR_INVALID_VALUE;
	return enqueue(s, [=] {
		memcpy((void*)(uintptr_t)dst, src, bytes);
		return CUDA_SUCCESS;
	});
}

API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, CUstream s) {
	ENTER("cuMemcpyDtoHAsync_v2");
	NEED_CONTEXT();
	if (!in_device_memory(src, bytes) || dst == nullptr) return CUDA_ERROR_INVALID_VALUE;
	return enqueue(s, [=] {
		memcpy(dst, (const void*)(uintptr_t)src, bytes);
		return CUDA_SUCCESS;
	});
}

API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s) {
	ENTER("cuMemcpyDtoDAsync_v2");
	NEED_CONTEXT();
	if (!in_device_memory(dst, bytes) || !in_device_memory(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
	return enqueue(s, [=] {
		memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, bytes);
		return CUDA_SUCCESS;
	});
}

API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t words, CUstream s) {
	ENTER("cuMemsetD32Async");
	NEED_CONTEXT();
	if (dst % 4 != 0 || !in_device_memory(dst, 4 * words)) return CUDA_ERROR_INVALID_VALUE;
	return enqueue(s, [=] {
		uint32_t* p = (uint32_t*)(uintptr_t)dst;
		std::fill(p, p + words, (uint32_t)value);
		return CUDA_SUCCESS;
	});
}

// ---- streams and events --------------------------------------------------------

API CUresult cuStreamCreate(CUstream* s, unsigned int flags) {
	ENTER("cuStreamCreate");
	NEED_CONTEXT();
	if (s == nullptr || (flags & ~CU_STREAM_NON_BLOCKING) != 0) return CUDA_ERROR_INVALID_VALUE;
	*s = new CUstream_st{flags, nullptr, CU_STREAM_CAPTURE_MODE_GLOBAL, false};
	streams.insert(*s);
	return CUDA_SUCCESS;
}

API CUresult cuStreamDestroy_v2(CUstream s) {
	ENTER("cuStreamDestroy_v2");
	NEED_CONTEXT();
	if (streams.erase(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
	delete s->capture;
	delete s;
	return CUDA_SUCCESS;
}

API CUresult cuStreamSynchronize(CUstream s) {
	ENTER("cuStreamSynchronize");
	NEED_CONTEXT();
	if (!is_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
	CUstream_st* st = own_stream(s);
	if (st == nullptr) return refuse_in_capture(nullptr);  // the legacy stream waits for all
	return refuse_in_capture(st);
}

API CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags) {
	ENTER("cuStreamWaitEvent");
	NEED_CONTEXT();
	if (!is_stream(s) || e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
	return CUDA_SUCCESS;  // the event's work is done: streams run at once
}

API CUresult cuEventCreate(CUevent* e, unsigned int flags) {
	ENTER("cuEventCreate");
	NEED_CONTEXT();
	if (e == nullptr || (flags & ~(CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING)) != 0) {
		return CUDA_ERROR_INVALID_VALUE;
	}
	*e = new CUevent_st{flags, false, 0};
	return CUDA_SUCCESS;
}

API CUresult cuEventDestroy_v2(CUevent e) {
	ENTER("cuEventDestroy_v2");
	NEED_CONTEXT();
	if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	delete e;
	return CUDA_SUCCESS;
}

API CUresult cuEventRecord(CUevent e, CUstream s) {
	ENTER("cuEventRecord");
	NEED_CONTEXT();
	if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	return enqueue(s, [e] {
		e->recorded = true;
		e->ms = now_ms();
		return CUDA_SUCCESS;
	});
}

API CUresult cuEventSynchronize(CUevent e) {
	ENTER("cuEventSynchronize");
	NEED_CONTEXT();
	if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	return CUDA_SUCCESS;
}

API CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
	ENTER("cuEventElapsedTime");
	NEED_CONTEXT();
	if (ms == nullptr) return CUDA_ERROR_INVALID_VALUE;
	if (start == nullptr || end == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	if ((start->flags | end->flags) & CU_EVENT_DISABLE_TIMING) return CUDA_ERROR_INVALID_HANDLE;
	if (!start->recorded || !end->recorded) return CUDA_ERROR_INVALID_HANDLE;
	*ms = (float)(end->ms - start->ms);
	return CUDA_SUCCESS;
}

// cuLaunchHostFunc runs fn in stream order: at once, or at each replay of the
// graph being captured. The libcublas test double queues its GEMMs this way.
API CUresult cuLaunchHostFunc(CUstream s, CUhostFn fn, void* data) {
	ENTER("cuLaunchHostFunc");
	NEED_CONTEXT();
	if (fn == nullptr) return CUDA_ERROR_INVALID_VALUE;
	return enqueue(s, [fn, data] {
		fn(data);
		return CUDA_SUCCESS;
	});
}

API CUresult cuStreamIsCapturing(CUstream s, CUstreamCaptureStatus* status) {
	ENTER("cuStreamIsCapturing");
	NEED_CONTEXT();
	if (!is_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
	if (status == nullptr) return CUDA_ERROR_INVALID_VALUE;
	CUstream_st* st = own_stream(s);
	*status = st == nullptr || st->capture == nullptr ? CU_STREAM_CAPTURE_STATUS_NONE
	          : st->invalidated                       ? CU_STREAM_CAPTURE_STATUS_INVALIDATED
	                                                  : CU_STREAM_CAPTURE_STATUS_ACTIVE;
	return CUDA_SUCCESS;
}

// ---- capture and graphs ----------------------------------------------------------

API CUresult cuStreamBeginCapture_v2(CUstream s, CUstreamCaptureMode mode) {
	ENTER("cuStreamBeginCapture_v2");
	NEED_CONTEXT();
	if (!is_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
	CUstream_st* st = own_stream(s);
	if (st == nullptr) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;  // the legacy stream cannot capture
	if (st->capture != nullptr) return CUDA_ERROR_ILLEGAL_STATE;
	if (mode != CU_STREAM_CAPTURE_MODE_GLOBAL && mode != CU_STREAM_CAPTURE_MODE_THREAD_LOCAL &&
		mode != CU_STREAM_CAPTURE_MODE_RELAXED) {
		return CUDA_ERROR_INVALID_VALUE;
	}
	st->capture = new CUgraph_st();
	st->mode = mode;
	st->invalidated = false;
	return CUDA_SUCCESS;
}

API CUresult cuStreamEndCapture(CUstream s, CUgraph* graph) {
	ENTER("cuStreamEndCapture");
	NEED_CONTEXT();
	if (!is_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
	if (graph == nullptr) return CUDA_ERROR_INVALID_VALUE;
	CUstream_st* st = own_stream(s);
	if (st == nullptr || st->capture == nullptr) return CUDA_ERROR_ILLEGAL_STATE;
	CUgraph_st* g = st->capture;
	st->capture = nullptr;
	if (st->invalidated) {
		st->invalidated = false;
		delete g;
		*graph = nullptr;
		return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
	}
	*graph = g;
	return CUDA_SUCCESS;
}

API CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph graph, unsigned long long flags) {
	ENTER("cuGraphInstantiateWithFlags");
	NEED_CONTEXT();
	if (exec == nullptr || graph == nullptr) return CUDA_ERROR_INVALID_VALUE;
	if ((flags & ~(unsigned long long)CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH) != 0) {
		return CUDA_ERROR_INVALID_VALUE;
	}
	*exec = new CUgraphExec_st{graph->ops};
	return CUDA_SUCCESS;
}

API CUresult cuGraphDestroy(CUgraph graph) {
	ENTER("cuGraphDestroy");
	NEED_CONTEXT();
	if (graph == nullptr) return CUDA_ERROR_INVALID_VALUE;
	delete graph;
	return CUDA_SUCCESS;
}

API CUresult cuGraphLaunch(CUgraphExec exec, CUstream s) {
	ENTER("cuGraphLaunch");
	NEED_CONTEXT();
	if (exec == nullptr) return CUDA_ERROR_INVALID_VALUE;
	CUgraphExec_st* x = exec;
	return enqueue(s, [x] {
		for (const Op& op : x->ops) {
			if (CUresult r = op(); r != CUDA_SUCCESS) return r;
		}
		return CUDA_SUCCESS;
	});
}

API CUresult cuGraphExecDestroy(CUgraphExec exec) {
	ENTER("cuGraphExecDestroy");
	NEED_CONTEXT();
	if (exec == nullptr) return CUDA_ERROR_INVALID_VALUE;
	delete exec;
	return CUDA_SUCCESS;
}

// ---- modules and launches ----------------------------------------------------------

API CUresult cuModuleLoadData(CUmodule* module, const void* image) {
	ENTER("cuModuleLoadData");
	NEED_CONTEXT();
	if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
	const char* ptx = (const char*)image;
	if (strstr(ptx, ".version") == nullptr || strstr(ptx, ".target") == nullptr) return CUDA_ERROR_INVALID_IMAGE;
	*module = new CUmod_st{ptx_entries(ptx), {}};
	return CUDA_SUCCESS;
}

API CUresult cuModuleUnload(CUmodule module) {
	ENTER("cuModuleUnload");
	NEED_CONTEXT();
	if (module == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	delete module;
	return CUDA_SUCCESS;
}

API CUresult cuModuleGetFunction(CUfunction* fn, CUmodule module, const char* name) {
	ENTER("cuModuleGetFunction");
	NEED_CONTEXT();
	if (fn == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
	if (module == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	if (module->entries.count(name) == 0) return CUDA_ERROR_NOT_FOUND;
	auto k = kernels.find(name);
	if (k == kernels.end()) {
		fprintf(stderr, "libcuda stand-in: the PTX defines %s, but no kernels/*.cu does: regenerate the PTX\n", name);
		return CUDA_ERROR_NOT_FOUND;
	}
	CUfunc_st& f = module->functions[name];
	f = CUfunc_st{name, &k->second};
	*fn = &f;
	return CUDA_SUCCESS;
}

// cuLaunchKernel reads as many 8-byte argument slots as the kernel has
// parameters (Descent passes every argument in one) and runs its grid.
API CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
	unsigned int by, unsigned int bz, unsigned int shared, CUstream s, void** params, void** extra) {
	ENTER("cuLaunchKernel");
	NEED_CONTEXT();
	if (f == nullptr) return CUDA_ERROR_INVALID_HANDLE;
	if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return CUDA_ERROR_INVALID_VALUE;
	if (extra != nullptr) die("cuLaunchKernel: the extra argument is not implemented");
	size_t arity = f->kernel->arity;
	if (arity > 0 && params == nullptr) return CUDA_ERROR_INVALID_VALUE;
	std::vector<uint64_t> slots(arity);
	for (size_t i = 0; i < arity; i++) memcpy(&slots[i], params[i], 8);  // copied now, as the driver does
	dim3 grid{gx, gy, gz}, block{bx, by, bz};
	std::string why = launch_error(f->name, *f->kernel, arity, block, shared);
	if (!why.empty()) {
		fprintf(stderr, "libcuda stand-in: cuLaunchKernel(%s): %s\n", f->name.c_str(), why.c_str());
		return (unsigned long)bx * by * bz > 1024 ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_NOT_SUPPORTED;
	}
	const Kernel* k = f->kernel;
	return enqueue(s, [k, grid, block, slots] {
		launch(*k, grid, block, slots.data());
		return CUDA_SUCCESS;
	});
}
