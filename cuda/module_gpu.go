//go:build gpu

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// Module is a loaded PTX module: the driver JIT-compiles it for the device.
type Module struct {
	mod   cu.Module
	dev   *Device
	funcs map[string]cu.Function
	// Launch's argument slots and pointers to them, reused so that a launch
	// allocates nothing.
	slots  []uint64
	params []unsafe.Pointer
}

// LoadModule loads PTX source text.
func (d *Device) LoadModule(ptx string) (*Module, error) {
	m := &Module{dev: d, funcs: map[string]cu.Function{}}
	err := d.Do(func() error {
		var err error
		m.mod, err = cu.LoadData(ptx)
		return check("cuModuleLoadData", err)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// function looks up (and caches) a kernel by name; call inside Do.
func (m *Module) function(name string) (cu.Function, error) {
	if f, ok := m.funcs[name]; ok {
		return f, nil
	}
	f, err := m.mod.Function(name)
	if err != nil {
		return f, check(fmt.Sprintf("cuModuleGetFunction(%q)", name), err)
	}
	m.funcs[name] = f
	return f, nil
}

// Has reports whether the module defines kernel name.
func (m *Module) Has(name string) bool {
	err := m.dev.Do(func() error { _, err := m.function(name); return err })
	return err == nil
}

// Launch queues l on stream s.
func (m *Module) Launch(s *Stream, l Launch) error {
	return m.dev.Do(func() error {
		f, err := m.function(l.Kernel)
		if err != nil {
			return err
		}
		// cu copies 8 bytes from behind each pointer into C memory before the
		// call, so pointers into this Go slice never reach C.
		n := len(l.Args)
		if cap(m.slots) < n {
			m.slots, m.params = make([]uint64, n), make([]unsafe.Pointer, n)
		}
		slots, params := m.slots[:n], m.params[:n]
		for i, a := range l.Args {
			slots[i] = uint64(a)
			params[i] = unsafe.Pointer(&slots[i])
		}
		g, b := l.Grid.norm(), l.Block.norm()
		if err := f.Launch(g.X, g.Y, g.Z, b.X, b.Y, b.Z, l.Shared, s.s, params); err != nil {
			return check(l.String(), err)
		}
		return nil
	})
}

// Close unloads the module.
func (m *Module) Close() error {
	return m.dev.Do(func() error { return check("cuModuleUnload", m.mod.Unload()) })
}
