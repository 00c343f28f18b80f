// driver.cpp — the CPU emulator of Descent's CUDA kernels. It is compiled by
// package cudaemu's Start together with every kernels/*.cu (EMU_SOURCES) and a
// registry of their kernels (EMU_REGISTRY), and serves a binary protocol on
// stdin/stdout, little-endian:
//
//   'A' u64 bytes                      → alloc: reply u64 address
//   'F' u64 address                    → free
//   'W' u64 address u64 bytes data     → write host data to memory
//   'R' u64 address u64 bytes          → read: reply the bytes
//   'L' u32 len name u32×6 grid,block u32 shared u32 nargs u64×nargs
//                                      → launch the kernel, arguments in 8-byte
//                                        slots as cuLaunchKernel reads them
//   'G' u32 transA u32 transB i32 m n k f32 alpha u64 A i32 lda u64 B i32 ldb
//       f32 beta u64 C i32 ldc         → column-major SGEMM, as cublasSgemm
//
// Every request is answered by a u32 status (0: done; else a u32 length and a
// message follow) and then the reply data.
#include "cuda_emu.h"  // found through -I kernels/cudaemu

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

#include EMU_SOURCES

namespace {

// ---- grids -----------------------------------------------------------------

const size_t kStack = 64 * 1024;

// A fiber starts through ucontext (makecontext gives it its own stack) and
// later switches with _setjmp/_longjmp, which unlike swapcontext save no
// signal mask and so make no system call: a block of 256 threads crossing nine
// barriers switches thousands of times.
struct Fiber {
	ucontext_t ctx;
	jmp_buf jb;
	char* stack;  // kStack bytes, malloc'd once
	uint3 idx;
	bool started, done;
};

jmp_buf scheduler;
std::vector<Fiber*> fibers;
Fiber* running;
bool barrier_reached;
const std::function<void()>* body;

void fiber_main() {
	(*body)();
	running->done = true;
	_longjmp(scheduler, 1);
}

uint3 thread_index(int t, dim3 b) {
	return uint3{(unsigned)(t % b.x), (unsigned)(t / b.x % b.y), (unsigned)(t / (b.x * b.y))};
}

// resume runs f until it reaches a barrier or returns.
void resume(Fiber* f) {
	running = f;
	threadIdx = f->idx;
	if (_setjmp(scheduler) == 0) {
		if (!f->started) {
			f->started = true;
			setcontext(&f->ctx);
		}
		_longjmp(f->jb, 1);
	}
}

// run_fibers runs the block's threads as fibers until all have returned; each
// round resumes every live fiber up to its next barrier.
void run_fibers(int threads) {
	while ((int)fibers.size() < threads) {
		Fiber* f = new Fiber();
		f->stack = (char*)malloc(kStack);
		fibers.push_back(f);
	}
	for (int t = 0; t < threads; t++) {
		Fiber* f = fibers[t];
		getcontext(&f->ctx);
		f->ctx.uc_stack.ss_sp = f->stack;
		f->ctx.uc_stack.ss_size = kStack;
		f->ctx.uc_link = nullptr;
		makecontext(&f->ctx, fiber_main, 0);
		f->idx = thread_index(t, blockDim);
		f->started = f->done = false;
	}
	for (int live = threads; live > 0;) {
		live = 0;
		for (int t = 0; t < threads; t++) {
			Fiber* f = fibers[t];
			if (f->done) continue;
			resume(f);
			if (!f->done) live++;
		}
	}
	running = nullptr;
}

uint3 block_index(long b, dim3 g) {
	return uint3{(unsigned)(b % g.x), (unsigned)(b / g.x % g.y), (unsigned)(b / ((long)g.x * g.y))};
}

// run_grid runs every block. The first block runs as fibers; when none of its
// threads reached a barrier the kernel has none (a barrier is reached by all
// threads of a block or by none), and the other blocks' threads run as plain
// calls, where a barrier aborts.
void run_grid(dim3 grid, dim3 block, const std::function<void()>& fn) {
	body = &fn;
	gridDim = grid;
	blockDim = block;
	int threads = block.x * block.y * block.z;
	long blocks = (long)grid.x * grid.y * grid.z;
	barrier_reached = false;
	for (long b = 0; b < blocks; b++) {
		blockIdx = block_index(b, grid);
		if (b == 0 || barrier_reached) {
			run_fibers(threads);
			continue;
		}
		for (int t = 0; t < threads; t++) {
			threadIdx = thread_index(t, block);
			fn();
		}
	}
}

}  // namespace

void __syncthreads() {
	if (running == nullptr) {
		fprintf(stderr, "cuda_emu: __syncthreads outside a fiber\n");
		abort();
	}
	barrier_reached = true;
	if (_setjmp(running->jb) == 0) _longjmp(scheduler, 1);
}

namespace {

// ---- kernels -----------------------------------------------------------------

template <typename T>
T from_slot(uint64_t slot) {
	T v;
	memcpy(&v, &slot, sizeof v);  // the first sizeof(T) bytes, as the driver reads them
	return v;
}

template <typename... A, size_t... I>
void call_with(void (*k)(A...), const uint64_t* slots, std::index_sequence<I...>) {
	k(from_slot<A>(slots[I])...);
}

struct Kernel {
	size_t arity;
	std::function<void(const uint64_t*)> call;
};

template <typename... A>
Kernel kernel(void (*k)(A...)) {
	return Kernel{sizeof...(A), [k](const uint64_t* slots) { call_with(k, slots, std::index_sequence_for<A...>{}); }};
}

std::map<std::string, Kernel> registry() {
	std::map<std::string, Kernel> r;
#define REGISTER(name) r[#name] = kernel(name);
#include EMU_REGISTRY
#undef REGISTER
	return r;
}

// ---- protocol ----------------------------------------------------------------

void read_exact(void* p, size_t n) {
	if (n > 0 && fread(p, 1, n, stdin) != n) exit(0);  // the client went away
}

template <typename T>
T get() {
	T v;
	read_exact(&v, sizeof v);
	return v;
}

void put(const void* p, size_t n) { fwrite(p, 1, n, stdout); }

void ok() {
	uint32_t s = 0;
	put(&s, 4);
}

void fail(const std::string& msg) {
	uint32_t s = 1, n = (uint32_t)msg.size();
	put(&s, 4);
	put(&n, 4);
	put(msg.data(), n);
}

void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
	float beta, float* c, int ldc) {
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < m; i++) {
			float acc = 0;
			for (int p = 0; p < k; p++) {
				float x = ta ? a[p + (size_t)i * lda] : a[i + (size_t)p * lda];
				float y = tb ? b[j + (size_t)p * ldb] : b[p + (size_t)j * ldb];
				acc += x * y;
			}
			float* out = &c[i + (size_t)j * ldc];
			*out = beta == 0 ? alpha * acc : alpha * acc + beta * *out;
		}
	}
}

}  // namespace

int main() {
	std::map<std::string, Kernel> kernels = registry();
	for (;;) {
		int op = getchar();
		if (op == EOF) return 0;
		switch (op) {
		case 'A': {
			uint64_t n = get<uint64_t>();
			void* p = malloc(n ? n : 1);
			memset(p, 0xff, n);  // uninitialized device memory reads as NaN
			uint64_t addr = (uint64_t)(uintptr_t)p;
			ok();
			put(&addr, 8);
			break;
		}
		case 'F':
			free((void*)(uintptr_t)get<uint64_t>());
			ok();
			break;
		case 'W': {
			uint64_t addr = get<uint64_t>(), n = get<uint64_t>();
			read_exact((void*)(uintptr_t)addr, n);
			ok();
			break;
		}
		case 'R': {
			uint64_t addr = get<uint64_t>(), n = get<uint64_t>();
			ok();
			put((void*)(uintptr_t)addr, n);
			break;
		}
		case 'L': {
			uint32_t len = get<uint32_t>();
			std::string name(len, '\0');
			read_exact(&name[0], len);
			dim3 grid{get<uint32_t>(), get<uint32_t>(), get<uint32_t>()};
			dim3 block{get<uint32_t>(), get<uint32_t>(), get<uint32_t>()};
			uint32_t shared = get<uint32_t>(), nargs = get<uint32_t>();
			std::vector<uint64_t> slots(nargs);
			read_exact(slots.data(), 8 * nargs);
			auto k = kernels.find(name);
			if (k == kernels.end()) {
				fail("no kernel named " + name);
			} else if (k->second.arity != nargs) {
				fail(name + " takes " + std::to_string(k->second.arity) + " arguments, got " + std::to_string(nargs));
			} else if (block.x * block.y * block.z > 1024) {
				fail("more than 1024 threads per block");
			} else if (shared != 0) {
				fail("dynamic shared memory is not emulated");
			} else {
				const uint64_t* args = slots.data();
				const Kernel& kern = k->second;
				run_grid(grid, block, [&kern, args] { kern.call(args); });
				ok();
			}
			break;
		}
		case 'G': {
			uint32_t ta = get<uint32_t>(), tb = get<uint32_t>();
			int32_t m = get<int32_t>(), n = get<int32_t>(), k = get<int32_t>();
			float alpha = get<float>();
			uint64_t a = get<uint64_t>();
			int32_t lda = get<int32_t>();
			uint64_t b = get<uint64_t>();
			int32_t ldb = get<int32_t>();
			float beta = get<float>();
			uint64_t c = get<uint64_t>();
			int32_t ldc = get<int32_t>();
			sgemm(ta, tb, m, n, k, alpha, (const float*)(uintptr_t)a, lda, (const float*)(uintptr_t)b, ldb, beta,
				(float*)(uintptr_t)c, ldc);
			ok();
			break;
		}
		default:
			fail(std::string("unknown request ") + (char)op);
		}
		fflush(stdout);
	}
}
