// Macros shared by the package's AVX-512 assembly files.

// TAIL16 sets K1 to the low REG lanes (0 < REG < 16), the mask of a row's
// last, short vector. Clobbers AX.
#define TAIL16(REG) \
	MOVL $1, AX; \
	SHLXL REG, AX, AX; \
	DECL AX; \
	KMOVW AX, K1
