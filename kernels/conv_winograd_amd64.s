//go:build amd64 && !noasm

#include "textflag.h"

// FMA4 adds the product of src with the 4 filters' values in Z0…Z3 to the
// accumulators a, b, c and d.
#define FMA4(src, a, b, c, d) \
	VFMADD231PS src, Z0, a; \
	VFMADD231PS src, Z1, b; \
	VFMADD231PS src, Z2, c; \
	VFMADD231PS src, Z3, d

// The pointwise products of Winograd's F(4, 5) convolution along rows
// (conv_winograd.go) for 4 filters and 4 output rows, in float32 with
// AVX-512. A transformed row holds two tiles of 8 points, 16 lanes; a
// transformed filter tap holds 8 points, broadcast to both tiles. The 16
// accumulators (Z16 + 4·filter + row) sum, channel after channel and tap
// after tap, the product of the tap's transformed filter with the
// transformed input row (tap + row).

// func winogradTile32(c int, r int, v *float32, vChannel int, u *float32, uTap int, uFilter int, m *float32, mFilter int, add int)
//
// v points at channel 0's row 0 (of the tile's first output row), rows 64
// bytes apart, channels vChannel bytes apart; u at filter 0's tap (0, 0),
// taps (channel, row) uTap bytes apart in order, filters uFilter bytes
// apart; m at filter 0's first output row, rows 64 bytes apart, filters
// mFilter bytes apart. With add not 0 the sums are added to m's.
TEXT ·winogradTile32(SB), NOSPLIT, $0-80
	MOVQ c+0(FP), CX
	MOVQ r+8(FP), DX
	MOVQ v+16(FP), SI
	MOVQ vChannel+24(FP), R8
	MOVQ u+32(FP), DI
	MOVQ uTap+40(FP), R14
	MOVQ uFilter+48(FP), R9
	MOVQ m+56(FP), BX
	MOVQ mFilter+64(FP), R10
	LEAQ (R9)(R9*2), R11

	MOVQ add+72(FP), AX
	TESTQ AX, AX
	JZ   zero
	MOVQ    BX, AX
	VMOVUPS 0(AX), Z16
	VMOVUPS 64(AX), Z17
	VMOVUPS 128(AX), Z18
	VMOVUPS 192(AX), Z19
	ADDQ    R10, AX
	VMOVUPS 0(AX), Z20
	VMOVUPS 64(AX), Z21
	VMOVUPS 128(AX), Z22
	VMOVUPS 192(AX), Z23
	ADDQ    R10, AX
	VMOVUPS 0(AX), Z24
	VMOVUPS 64(AX), Z25
	VMOVUPS 128(AX), Z26
	VMOVUPS 192(AX), Z27
	ADDQ    R10, AX
	VMOVUPS 0(AX), Z28
	VMOVUPS 64(AX), Z29
	VMOVUPS 128(AX), Z30
	VMOVUPS 192(AX), Z31
	JMP     channel

zero:
	VXORPS Z16, Z16, Z16
	VXORPS Z17, Z17, Z17
	VXORPS Z18, Z18, Z18
	VXORPS Z19, Z19, Z19
	VXORPS Z20, Z20, Z20
	VXORPS Z21, Z21, Z21
	VXORPS Z22, Z22, Z22
	VXORPS Z23, Z23, Z23
	VXORPS Z24, Z24, Z24
	VXORPS Z25, Z25, Z25
	VXORPS Z26, Z26, Z26
	VXORPS Z27, Z27, Z27
	VXORPS Z28, Z28, Z28
	VXORPS Z29, Z29, Z29
	VXORPS Z30, Z30, Z30
	VXORPS Z31, Z31, Z31

channel:
	MOVQ SI, R12
	MOVQ DX, R13

tap:
	VBROADCASTF64X4 (DI), Z0
	VBROADCASTF64X4 (DI)(R9*1), Z1
	VBROADCASTF64X4 (DI)(R9*2), Z2
	VBROADCASTF64X4 (DI)(R11*1), Z3
	VMOVUPS     0(R12), Z4
	FMA4(Z4, Z16, Z20, Z24, Z28)
	VMOVUPS     64(R12), Z5
	FMA4(Z5, Z17, Z21, Z25, Z29)
	VMOVUPS     128(R12), Z6
	FMA4(Z6, Z18, Z22, Z26, Z30)
	VMOVUPS     192(R12), Z7
	FMA4(Z7, Z19, Z23, Z27, Z31)
	ADDQ R14, DI
	ADDQ $64, R12
	DECQ R13
	JNZ  tap

	ADDQ R8, SI
	DECQ CX
	JNZ  channel

	VMOVUPS Z16, 0(BX)
	VMOVUPS Z17, 64(BX)
	VMOVUPS Z18, 128(BX)
	VMOVUPS Z19, 192(BX)
	ADDQ    R10, BX
	VMOVUPS Z20, 0(BX)
	VMOVUPS Z21, 64(BX)
	VMOVUPS Z22, 128(BX)
	VMOVUPS Z23, 192(BX)
	ADDQ    R10, BX
	VMOVUPS Z24, 0(BX)
	VMOVUPS Z25, 64(BX)
	VMOVUPS Z26, 128(BX)
	VMOVUPS Z27, 192(BX)
	ADDQ    R10, BX
	VMOVUPS Z28, 0(BX)
	VMOVUPS Z29, 64(BX)
	VMOVUPS Z30, 128(BX)
	VMOVUPS Z31, 192(BX)
	VZEROUPPER
	RET

// func winogradFilterTile32(images int, rows int, dy *float32, dyFilter int, dyImage int, x *float32, xImage int, acc *float32, accFilter int)
//
// The backward filter pass's products (F(5, 4), conv_winograd.go) for 4
// filters and a channel's 5 filter rows: acc[f][r] (16 lanes, rows 64 bytes
// apart, filters accFilter bytes apart) += Σ over the images n and output
// rows i of dy[n][f][i] ⊙ x[n][i + r], dy's rows 64 bytes apart, filters
// dyFilter and images dyImage bytes apart, x's rows 64 bytes apart and
// images xImage bytes apart. The accumulators are Z12 + 5·filter + row.
TEXT ·winogradFilterTile32(SB), NOSPLIT, $0-72
	MOVQ images+0(FP), CX
	MOVQ rows+8(FP), DX
	MOVQ dy+16(FP), SI
	MOVQ dyFilter+24(FP), R8
	MOVQ dyImage+32(FP), R9
	MOVQ x+40(FP), DI
	MOVQ xImage+48(FP), R10
	MOVQ acc+56(FP), BX
	MOVQ accFilter+64(FP), R11

	MOVQ    BX, AX
	VMOVUPS 0(AX), Z12
	VMOVUPS 64(AX), Z13
	VMOVUPS 128(AX), Z14
	VMOVUPS 192(AX), Z15
	VMOVUPS 256(AX), Z16
	ADDQ    R11, AX
	VMOVUPS 0(AX), Z17
	VMOVUPS 64(AX), Z18
	VMOVUPS 128(AX), Z19
	VMOVUPS 192(AX), Z20
	VMOVUPS 256(AX), Z21
	ADDQ    R11, AX
	VMOVUPS 0(AX), Z22
	VMOVUPS 64(AX), Z23
	VMOVUPS 128(AX), Z24
	VMOVUPS 192(AX), Z25
	VMOVUPS 256(AX), Z26
	ADDQ    R11, AX
	VMOVUPS 0(AX), Z27
	VMOVUPS 64(AX), Z28
	VMOVUPS 128(AX), Z29
	VMOVUPS 192(AX), Z30
	VMOVUPS 256(AX), Z31
	LEAQ    (R8)(R8*2), AX

image:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ DX, R14

row:
	VMOVUPS     (R12), Z0
	VMOVUPS     (R12)(R8*1), Z1
	VMOVUPS     (R12)(R8*2), Z2
	VMOVUPS     (R12)(AX*1), Z3
	VMOVUPS     0(R13), Z4
	FMA4(Z4, Z12, Z17, Z22, Z27)
	VMOVUPS     64(R13), Z5
	FMA4(Z5, Z13, Z18, Z23, Z28)
	VMOVUPS     128(R13), Z6
	FMA4(Z6, Z14, Z19, Z24, Z29)
	VMOVUPS     192(R13), Z7
	FMA4(Z7, Z15, Z20, Z25, Z30)
	VMOVUPS     256(R13), Z8
	FMA4(Z8, Z16, Z21, Z26, Z31)
	ADDQ        $64, R12
	ADDQ        $64, R13
	DECQ        R14
	JNZ         row

	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  image

	VMOVUPS Z12, 0(BX)
	VMOVUPS Z13, 64(BX)
	VMOVUPS Z14, 128(BX)
	VMOVUPS Z15, 192(BX)
	VMOVUPS Z16, 256(BX)
	ADDQ    R11, BX
	VMOVUPS Z17, 0(BX)
	VMOVUPS Z18, 64(BX)
	VMOVUPS Z19, 128(BX)
	VMOVUPS Z20, 192(BX)
	VMOVUPS Z21, 256(BX)
	ADDQ    R11, BX
	VMOVUPS Z22, 0(BX)
	VMOVUPS Z23, 64(BX)
	VMOVUPS Z24, 128(BX)
	VMOVUPS Z25, 192(BX)
	VMOVUPS Z26, 256(BX)
	ADDQ    R11, BX
	VMOVUPS Z27, 0(BX)
	VMOVUPS Z28, 64(BX)
	VMOVUPS Z29, 128(BX)
	VMOVUPS Z30, 192(BX)
	VMOVUPS Z31, 256(BX)
	VZEROUPPER
	RET
