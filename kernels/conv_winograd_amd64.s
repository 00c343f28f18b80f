//go:build amd64 && !noasm

#include "textflag.h"

// The pointwise products of Winograd's F(4, 5) convolution along rows
// (conv_winograd.go) for 4 filters and 4 output rows, in float32 with
// AVX-512. A transformed row holds two tiles of 8 points, 16 lanes; a
// transformed filter tap holds 8 points, broadcast to both tiles. The 16
// accumulators (Z16 + 4·filter + row) sum, channel after channel and tap
// after tap, the product of the tap's transformed filter with the
// transformed input row (tap + row).

// func winogradTile32(c int, r int, v *float32, vChannel int, u *float32, uFilter int, m *float32, mFilter int)
//
// v points at channel 0's row 0 (of the tile's first output row), rows 64
// bytes apart, channels vChannel bytes apart; u at filter 0's tap (0, 0),
// taps (channel, row) 32 bytes apart in order, filters uFilter bytes apart;
// m at filter 0's first output row, rows 64 bytes apart, filters mFilter
// bytes apart.
TEXT ·winogradTile32(SB), NOSPLIT, $0-64
	MOVQ c+0(FP), CX
	MOVQ r+8(FP), DX
	MOVQ v+16(FP), SI
	MOVQ vChannel+24(FP), R8
	MOVQ u+32(FP), DI
	MOVQ uFilter+40(FP), R9
	MOVQ m+48(FP), BX
	MOVQ mFilter+56(FP), R10
	LEAQ (R9)(R9*2), R11

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
	VFMADD231PS Z4, Z0, Z16
	VFMADD231PS Z4, Z1, Z20
	VFMADD231PS Z4, Z2, Z24
	VFMADD231PS Z4, Z3, Z28
	VMOVUPS     64(R12), Z5
	VFMADD231PS Z5, Z0, Z17
	VFMADD231PS Z5, Z1, Z21
	VFMADD231PS Z5, Z2, Z25
	VFMADD231PS Z5, Z3, Z29
	VMOVUPS     128(R12), Z6
	VFMADD231PS Z6, Z0, Z18
	VFMADD231PS Z6, Z1, Z22
	VFMADD231PS Z6, Z2, Z26
	VFMADD231PS Z6, Z3, Z30
	VMOVUPS     192(R12), Z7
	VFMADD231PS Z7, Z0, Z19
	VFMADD231PS Z7, Z1, Z23
	VFMADD231PS Z7, Z2, Z27
	VFMADD231PS Z7, Z3, Z31
	ADDQ $32, DI
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
