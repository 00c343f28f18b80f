//go:build !amd64 || noasm

package kernels

const winogradAsm = false

func winogradTile32(c int, r int, v *float32, vChannel int, u *float32, uTap int, uFilter int, m *float32, mFilter int, add int) {
	panic("kernels: no Winograd tiles without assembly")
}

func winogradFilterTile32(images int, rows int, dy *float32, dyFilter int, dyImage int, x *float32, xImage int, acc *float32, accFilter int) {
	panic("kernels: no Winograd tiles without assembly")
}
