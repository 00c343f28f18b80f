package graph

import (
	"fmt"
	"slices"
	"strings"
)

// Freeze marks the parameters whose names lie under one of prefixes ("layer1"
// covers "layer1.0.conv1.weight"; a full name covers itself) as frozen; see
// FreezeAllBut for the complement. Call
// it before the layers add their parameters. A frozen parameter gets no
// gradient buffer and no gradient node: the backward program stops where
// nothing trainable lies below. Layers ask IsFrozen to run frozen batch norms
// in evaluation mode.
func (b *Builder) Freeze(prefixes ...string) error {
	for _, p := range prefixes {
		if p == "" || strings.HasSuffix(p, ".") {
			return fmt.Errorf("freeze prefix %q: want a parameter name or a leading part of one, such as layer1 or layer1.0.conv1", p)
		}
	}
	b.frozen = append(b.frozen, prefixes...)
	return nil
}

// FreezeAllBut freezes every parameter that lies under none of prefixes: the
// backbone, when prefixes name the head.
func (b *Builder) FreezeAllBut(prefixes ...string) error {
	if err := b.Freeze(prefixes...); err != nil {
		return err
	}
	b.frozen, b.thawed = b.frozen[:len(b.frozen)-len(prefixes)], append(b.thawed, prefixes...)
	return nil
}

// IsFrozen reports whether a parameter of the given name is frozen.
func (b *Builder) IsFrozen(name string) bool {
	return Under(name, b.frozen) || (len(b.thawed) > 0 && !Under(name, b.thawed))
}

// Under reports whether a parameter name lies under one of prefixes: equals
// it, or continues it after a dot.
func Under(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if name == p || strings.HasPrefix(name, p+".") {
			return true
		}
	}
	return false
}

// UnusedFreezes lists the Freeze prefixes that no parameter matched: a typo
// that would freeze nothing.
func (b *Builder) UnusedFreezes() []string {
	var unused []string
	for _, p := range b.frozen {
		if !slices.ContainsFunc(b.params, func(prm *Param) bool { return Under(prm.Name, []string{p}) }) {
			unused = append(unused, p)
		}
	}
	return unused
}
