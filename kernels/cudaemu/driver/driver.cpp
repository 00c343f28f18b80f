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
#include "grid.h"
#include "sgemm.h"

namespace {

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
			std::string why = k == kernels.end() ? "no kernel named " + name
			                                     : launch_error(name, k->second, nargs, block, shared);
			if (why.empty()) {
				launch(k->second, grid, block, slots.data());
				ok();
			} else {
				fail(why);
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
