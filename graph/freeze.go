package graph

import (
	"fmt"
	"strings"
)

// Freeze marks the parameters whose names lie under one of prefixes ("layer1"
// covers "layer1.0.conv1.weight"; a full name covers itself) as frozen. Call
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

// IsFrozen reports whether a parameter of the given name is frozen.
func (b *Builder) IsFrozen(name string) bool {
	for _, p := range b.frozen {
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
		used := false
		for _, prm := range b.params {
			if prm.Name == p || strings.HasPrefix(prm.Name, p+".") {
				used = true
				break
			}
		}
		if !used {
			unused = append(unused, p)
		}
	}
	return unused
}
