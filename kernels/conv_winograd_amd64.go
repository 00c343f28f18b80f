//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// winogradAsm reports whether winogradTile32 can run (AVX-512F).
var winogradAsm = cpu.X86.HasAVX512F

//go:noescape
func winogradTile32(c int, r int, v *float32, vChannel int, u *float32, uTap int, uFilter int, m *float32, mFilter int, add int)

//go:noescape
func winogradFilterTile32(images int, rows int, dy *float32, dyFilter int, dyImage int, x *float32, xImage int, acc *float32, accFilter int)
