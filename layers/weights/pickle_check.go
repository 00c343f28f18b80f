package weights

import (
	"encoding/binary"
	"fmt"
)

// checkPickle walks the opcodes of a pickle (the walk of Python's
// pickletools.genops; nothing is built) and fails if an argument's length
// prefix claims more bytes than the pickle has left. gopickle allocates such
// a buffer before it reads it, so a corrupt length of a few gigabytes would
// exhaust memory instead of failing.
func checkPickle(p []byte) error {
	for at := 0; at < len(p); {
		op := p[at]
		at++
		arg, err := pickleArgSize(op, p[at:])
		if err != nil {
			return fmt.Errorf("pickle opcode %#02x at byte %d: %w", op, at-1, err)
		}
		at += arg
		if op == '.' { // STOP
			return nil
		}
	}
	return fmt.Errorf("the pickle ends without a STOP opcode")
}

// pickleArgSize is the size of op's argument at the start of rest.
func pickleArgSize(op byte, rest []byte) (int, error) {
	fixed := func(n int) (int, error) {
		if n > len(rest) {
			return 0, fmt.Errorf("argument of %d bytes past the end", n)
		}
		return n, nil
	}
	prefixed := func(width int) (int, error) {
		if width > len(rest) {
			return 0, fmt.Errorf("length past the end")
		}
		var n uint64
		switch width {
		case 1:
			n = uint64(rest[0])
		case 4:
			n = uint64(binary.LittleEndian.Uint32(rest))
		case 8:
			n = binary.LittleEndian.Uint64(rest)
		}
		if n > uint64(len(rest)-width) {
			return 0, fmt.Errorf("a length of %d bytes, but %d remain", n, len(rest)-width)
		}
		return width + int(n), nil
	}
	lines := func(count int) (int, error) {
		size := 0
		for ; count > 0; count-- {
			i := 0
			for size+i < len(rest) && rest[size+i] != '\n' {
				i++
			}
			if size+i == len(rest) {
				return 0, fmt.Errorf("unterminated line")
			}
			size += i + 1
		}
		return size, nil
	}
	switch op {
	case '(', '.', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', 'e', 'l', 'o', 's', 't', 'u', '}', ']', ')',
		0x85, 0x86, 0x87, 0x88, 0x89, 0x81, 0x92, 0x8f, 0x90, 0x91, 0x93, 0x94, 0x97, 0x98, 'Q':
		return 0, nil
	case 'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p':
		return lines(1)
	case 'i', 'c':
		return lines(2)
	case 'K', 'q', 'h', 0x80, 0x82:
		return fixed(1)
	case 'M', 0x83:
		return fixed(2)
	case 'J', 'r', 'j', 0x84:
		return fixed(4)
	case 'G':
		return fixed(8)
	case 'U', 'C', 0x8c, 0x8a:
		return prefixed(1)
	case 'T', 'B', 'X', 0x8b:
		return prefixed(4)
	case 0x8e, 0x8d, 0x96:
		return prefixed(8)
	case 0x95: // FRAME: its length must fit; the opcodes inside follow
		n, err := prefixed(8)
		return min(n, 8), err
	}
	return 0, fmt.Errorf("unknown opcode")
}
