package filter

import (
	"encoding/binary"
	"fmt"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// Filter is a validated program, ready to run on rows of its layout. It is
// immutable and safe for concurrent use.
type Filter struct {
	l     *schema.Layout
	prog  []byte // a private copy: constants point into it
	nodes []node // pre-order; a group's members follow it
}

// node is one group or condition of a compiled program.
type node struct {
	op   uint8  // opcode
	sub  uint8  // Cmp or BitTest
	pair uint8  // CmpCols: pairSame, pairInt, pairFloat
	utf8 bool   // Like: _ matches a UTF-8 character
	trim bool   // Like: ignore trailing spaces (CHAR)
	col  uint16 // column
	col2 uint16 // CmpCols: second column
	end  uint32 // index just past this node's subtree
	a, b []byte // Cmp: a; Between: a, b; Bits: the mask's bytes
	mask uint64 // Bits
	like []likeTok
}

// Layout returns the layout the filter was compiled for.
func (f *Filter) Layout() *schema.Layout { return f.l }

// Compile validates prog against layout l and returns the filter it
// encodes: version, opcodes, column numbers, each constant's size and value
// against its column's type, LIKE patterns, nesting depth, node count and
// size, and that exactly one root node fills the program. Errors are
// ndberr's ErrFilter* codes (ErrBadAttribute for an unknown column), wrapped
// with the position and reason. Compile never keeps prog.
func Compile(l *schema.Layout, prog []byte) (*Filter, error) {
	if len(prog) > MaxProgramBytes {
		return nil, fmt.Errorf("filter: program of %d bytes, at most %d: %w", len(prog), MaxProgramBytes, ndberr.ErrFilterTooLarge)
	}
	if len(prog) == 0 {
		return nil, fmt.Errorf("filter: empty program: %w", ndberr.ErrFilterMalformed)
	}
	if v := prog[0]; v < MinSupportedVersion || v > CurrentVersion {
		return nil, fmt.Errorf("filter: program version %d, supported %d..%d: %w", v, MinSupportedVersion, CurrentVersion, ndberr.ErrFilterVersion)
	}
	c := compiler{l: l, p: append([]byte(nil), prog...), pos: 1}
	if err := c.node(0); err != nil {
		return nil, err
	}
	if c.pos != len(c.p) {
		return nil, c.errorf(ndberr.ErrFilterMalformed, "%d bytes after the root node", len(c.p)-c.pos)
	}
	return &Filter{l: l, prog: c.p, nodes: c.nodes}, nil
}

// compiler decodes and checks a program into nodes.
type compiler struct {
	l     *schema.Layout
	p     []byte
	pos   int
	nodes []node
}

func (c *compiler) errorf(code *ndberr.Error, format string, args ...any) error {
	return fmt.Errorf("filter: byte %d: %s: %w", c.pos, fmt.Sprintf(format, args...), code)
}

func (c *compiler) truncated() error {
	return c.errorf(ndberr.ErrFilterMalformed, "program truncated")
}

func (c *compiler) u8() (uint8, error) {
	if c.pos+1 > len(c.p) {
		return 0, c.truncated()
	}
	c.pos++
	return c.p[c.pos-1], nil
}

func (c *compiler) u16() (int, error) {
	if c.pos+2 > len(c.p) {
		return 0, c.truncated()
	}
	c.pos += 2
	return int(binary.LittleEndian.Uint16(c.p[c.pos-2:])), nil
}

// column reads a column number and checks it.
func (c *compiler) column() (uint16, error) {
	col, err := c.u16()
	if err != nil {
		return 0, err
	}
	if col >= len(c.l.Cols) {
		return 0, c.errorf(ndberr.ErrBadAttribute, "column %d, table %s has %d", col, c.l.Table.Name, len(c.l.Cols))
	}
	return uint16(col), nil
}

// operator reads the comparison or bit test of opcode op.
func (c *compiler) operator(op byte, valid func(uint8) bool) (uint8, error) {
	v, err := c.u8()
	if err != nil {
		return 0, err
	}
	if !valid(v) {
		return 0, c.errorf(ndberr.ErrFilterBadOperator, "opcode %#x: operator %d", op, v)
	}
	return v, nil
}

// bytes reads | len | bytes |.
func (c *compiler) bytes() ([]byte, error) {
	n, err := c.u16()
	if err != nil {
		return nil, err
	}
	if c.pos+n > len(c.p) {
		return nil, c.truncated()
	}
	c.pos += n
	return c.p[c.pos-n : c.pos : c.pos], nil
}

// constant reads a constant for column col and checks it.
func (c *compiler) constant(col uint16) ([]byte, error) {
	at := c.pos
	v, err := c.bytes()
	if err != nil {
		return nil, err
	}
	if err := checkConst(c.l, int(col), v); err != nil {
		return nil, fmt.Errorf("filter: byte %d: %w", at, err)
	}
	return v, nil
}

// node decodes the node at c.pos, depth groups deep, with its subtree.
func (c *compiler) node(depth int) error {
	if len(c.nodes) == MaxNodes {
		return c.errorf(ndberr.ErrFilterTooLarge, "more than %d nodes", MaxNodes)
	}
	op, err := c.u8()
	if err != nil {
		return err
	}
	i := len(c.nodes)
	c.nodes = append(c.nodes, node{}) // filled in below, after the subtree
	n := node{op: op}
	switch op {
	case byte(And), byte(Or), byte(Nand), byte(Nor): // | count | members |
		if depth == MaxDepth {
			return c.errorf(ndberr.ErrFilterTooDeep, "groups nested deeper than %d", MaxDepth)
		}
		count, err := c.u16()
		if err != nil {
			return err
		}
		if count == 0 {
			return c.errorf(ndberr.ErrFilterMalformed, "empty group")
		}
		for k := 0; k < count; k++ {
			if err := c.node(depth + 1); err != nil {
				return err
			}
		}
	case opCmp: // | cmp | col | len | value |
		if n.sub, err = c.operator(op, func(v uint8) bool { return Cmp(v).valid() }); err != nil {
			return err
		}
		if n.col, err = c.column(); err != nil {
			return err
		}
		if n.a, err = c.constant(n.col); err != nil {
			return err
		}
	case opCmpCols: // | cmp | col | col2 |
		if n.sub, err = c.operator(op, func(v uint8) bool { return Cmp(v).valid() }); err != nil {
			return err
		}
		if n.col, err = c.column(); err != nil {
			return err
		}
		if n.col2, err = c.column(); err != nil {
			return err
		}
		pair, err := pairKind(c.l, int(n.col), int(n.col2))
		if err != nil {
			return err
		}
		n.pair = uint8(pair)
	case opBits: // | test | col | len | mask |
		if n.sub, err = c.operator(op, func(v uint8) bool { return BitTest(v).valid() }); err != nil {
			return err
		}
		if n.col, err = c.column(); err != nil {
			return err
		}
		if err := checkBitsColumn(c.l, int(n.col)); err != nil {
			return err
		}
		if n.a, err = c.constant(n.col); err != nil {
			return err
		}
		n.mask = leUint(n.a)
	case opIsNull, opIsNotNull: // | col |
		if n.col, err = c.column(); err != nil {
			return err
		}
	case opLike, opNotLike: // | col | len | pattern |
		if n.col, err = c.column(); err != nil {
			return err
		}
		pattern, err := c.bytes()
		if err != nil {
			return err
		}
		if err := checkLike(c.l, int(n.col), pattern); err != nil {
			return err
		}
		t := &c.l.Table.Columns[n.col]
		n.utf8 = likeUTF8(t)
		n.trim = t.Type == schema.TypeChar
		n.like = compileLike(nil, pattern)
	case opBetween: // | col | len | lo | len | hi |
		if n.col, err = c.column(); err != nil {
			return err
		}
		if n.a, err = c.constant(n.col); err != nil {
			return err
		}
		if n.b, err = c.constant(n.col); err != nil {
			return err
		}
	default:
		c.pos--
		return c.errorf(ndberr.ErrFilterBadOperator, "unknown opcode %#x", op)
	}
	n.end = uint32(len(c.nodes))
	c.nodes[i] = n
	return nil
}
