//go:build !amd64 || noasm

package kernels

const winogradAsm = false

func winogradTile32(c int, r int, v *float32, vChannel int, u *float32, uFilter int, m *float32, mFilter int) {
	panic("kernels: no Winograd tiles without assembly")
}
