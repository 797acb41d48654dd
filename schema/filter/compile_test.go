package filter

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/gondb/gondb/ndberr"
)

// Hand assembly of programs, to write what the Builder refuses to.

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u8(v int) []byte  { return []byte{byte(v)} }
func u16(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }

// lv is | len | bytes |.
func lv(b []byte) []byte { return cat(u16(len(b)), b) }

func le(v uint64, n int) []byte { return leBytes(v, n) }

func prog(root ...[]byte) []byte { return cat(u8(CurrentVersion), cat(root...)) }

func grp(g Group, n int, members ...[]byte) []byte {
	return cat(u8(int(g)), u16(n), cat(members...))
}

func cmpc(op Cmp, col int, v []byte) []byte {
	return cat(u8(opCmp), u8(int(op)), u16(col), lv(v))
}

func isNull(col int) []byte { return cat(u8(opIsNull), u16(col)) }

func like(col int, pattern string) []byte {
	return cat(u8(opLike), u16(col), lv([]byte(pattern)))
}

// TestCompileErrors checks every validation Compile does, with the code it
// returns.
func TestCompileErrors(t *testing.T) {
	l := testLayout(t)
	i10 := le(10, 4)
	deep := isNull(cI)
	for i := 0; i <= MaxDepth; i++ {
		deep = grp(And, 1, deep)
	}
	var many [][]byte
	for i := 0; i < MaxNodes; i++ {
		many = append(many, isNull(cI))
	}
	date := func(y, m, d int) []byte { return le(uint64(y<<9|m<<5|d), 3) }
	tests := []struct {
		name string
		prog []byte
		want *ndberr.Error
	}{
		{"empty", nil, ndberr.ErrFilterMalformed},
		{"version 0", cat(u8(0), isNull(cI)), ndberr.ErrFilterVersion},
		{"version 2", cat(u8(2), isNull(cI)), ndberr.ErrFilterVersion},
		{"no root", prog(), ndberr.ErrFilterMalformed},
		{"unknown opcode", prog(u8(0x20), u16(cI)), ndberr.ErrFilterBadOperator},
		{"opcode 0", prog(u8(0), u16(cI)), ndberr.ErrFilterBadOperator},
		{"opcode after groups", prog(u8(0x05), u16(1), isNull(cI)), ndberr.ErrFilterBadOperator},
		{"empty group", prog(grp(And, 0)), ndberr.ErrFilterMalformed},
		{"group count short", prog(grp(Or, 2, isNull(cI))), ndberr.ErrFilterMalformed},
		{"group count truncated", prog(u8(int(And)), u8(1)), ndberr.ErrFilterMalformed},
		{"trailing byte", cat(prog(isNull(cI)), u8(0)), ndberr.ErrFilterMalformed},
		{"two roots", prog(isNull(cI), isNull(cI)), ndberr.ErrFilterMalformed},
		{"cmp 0", prog(cmpc(Cmp(0), cI, i10)), ndberr.ErrFilterBadOperator},
		{"cmp 7", prog(cmpc(Cmp(7), cI, i10)), ndberr.ErrFilterBadOperator},
		{"cmp cols bad cmp", prog(u8(opCmpCols), u8(9), u16(cI), u16(cI2)), ndberr.ErrFilterBadOperator},
		{"bit test 0", prog(u8(opBits), u8(0), u16(cBit), lv(le(1, 2))), ndberr.ErrFilterBadOperator},
		{"bit test 5", prog(u8(opBits), u8(5), u16(cBit), lv(le(1, 2))), ndberr.ErrFilterBadOperator},
		{"truncated sub", prog(u8(opCmp)), ndberr.ErrFilterMalformed},
		{"truncated column", prog(u8(opIsNull), u8(cI)), ndberr.ErrFilterMalformed},
		{"truncated length", prog(u8(opCmp), u8(int(Eq)), u16(cI), u8(4)), ndberr.ErrFilterMalformed},
		{"truncated constant", prog(u8(opCmp), u8(int(Eq)), u16(cI), u16(4), u8(1)), ndberr.ErrFilterMalformed},
		{"truncated between", prog(u8(opBetween), u16(cI), lv(i10)), ndberr.ErrFilterMalformed},
		{"truncated pattern", prog(u8(opLike), u16(cVc), u16(3), []byte("ab")), ndberr.ErrFilterMalformed},
		{"unknown column", prog(isNull(nCols)), ndberr.ErrBadAttribute},
		{"column 65535", prog(cmpc(Eq, 0xFFFF, i10)), ndberr.ErrBadAttribute},
		{"unknown second column", prog(u8(opCmpCols), u8(int(Eq)), u16(cI), u16(nCols)), ndberr.ErrBadAttribute},
		{"int short", prog(cmpc(Eq, cI, le(1, 2))), ndberr.ErrFilterBadConstant},
		{"int long", prog(cmpc(Eq, cI, le(1, 8))), ndberr.ErrFilterBadConstant},
		{"empty constant", prog(cmpc(Eq, cDt, nil)), ndberr.ErrFilterBadConstant},
		{"float NaN", prog(cmpc(Eq, cF, le(uint64(math.Float32bits(float32(math.NaN()))), 4))), ndberr.ErrFilterBadConstant},
		{"double inf", prog(cmpc(Lt, cD, le(math.Float64bits(math.Inf(-1)), 8))), ndberr.ErrFilterBadConstant},
		{"decimal corrupt", prog(cmpc(Eq, cDec, []byte{0x80, 0, 0, 0, 0xFF})), ndberr.ErrFilterBadConstant},
		{"decimal negative zero", prog(cmpc(Eq, cDec, []byte{0x7F, 0xFF, 0xFF, 0xFF, 0xFF})), ndberr.ErrFilterBadConstant},
		{"date month 13", prog(cmpc(Eq, cDt, date(2024, 13, 1))), ndberr.ErrFilterBadConstant},
		{"date Feb 30", prog(cmpc(Eq, cDt, date(2024, 2, 30))), ndberr.ErrFilterBadConstant},
		{"date high bits", prog(cmpc(Eq, cDt, le(uint64(10000<<9|1<<5|1), 3))), ndberr.ErrFilterBadConstant},
		{"datetime spare bits", prog(cmpc(Eq, cDtm, le(1<<63, 8))), ndberr.ErrFilterBadConstant},
		{"time range", prog(cmpc(Eq, cTm, le(math.MaxInt64, 8))), ndberr.ErrFilterBadConstant},
		{"timestamp negative", prog(cmpc(Eq, cTs, le(uint64(1<<64-5), 8))), ndberr.ErrFilterBadConstant},
		{"bit beyond length", prog(cmpc(Eq, cBit, le(0x400, 2))), ndberr.ErrFilterBadConstant},
		{"between bad lo", prog(u8(opBetween), u16(cI), lv(le(1, 1)), lv(i10)), ndberr.ErrFilterBadConstant},
		{"between bad hi", prog(u8(opBetween), u16(cI), lv(i10), lv(le(1, 1))), ndberr.ErrFilterBadConstant},
		{"mask wrong size", prog(u8(opBits), u8(int(AnySet)), u16(cI), lv(le(1, 2))), ndberr.ErrFilterBadConstant},
		{"mask beyond bit length", prog(u8(opBits), u8(int(AnySet)), u16(cBit), lv(le(0x800, 2))), ndberr.ErrFilterBadConstant},
		{"like on int", prog(like(cI, "1%")), ndberr.ErrFilterUnsupportedType},
		{"like on date", prog(like(cDt, "2024%")), ndberr.ErrFilterUnsupportedType},
		{"bits on varchar", prog(u8(opBits), u8(int(AnySet)), u16(cVc), lv(le(1, 1))), ndberr.ErrFilterUnsupportedType},
		{"bits on decimal", prog(u8(opBits), u8(int(AnySet)), u16(cDec), lv(le(1, 5))), ndberr.ErrFilterUnsupportedType},
		{"cols int varchar", prog(u8(opCmpCols), u8(int(Eq)), u16(cI), u16(cVc)), ndberr.ErrFilterUnsupportedType},
		{"cols charsets", prog(u8(opCmpCols), u8(int(Eq)), u16(cCh), u16(cChL)), ndberr.ErrFilterUnsupportedType},
		{"cols char binary", prog(u8(opCmpCols), u8(int(Eq)), u16(cBin), u16(cVc)), ndberr.ErrFilterUnsupportedType},
		{"cols date datetime", prog(u8(opCmpCols), u8(int(Eq)), u16(cDt), u16(cDtm)), ndberr.ErrFilterUnsupportedType},
		{"cols time timestamp", prog(u8(opCmpCols), u8(int(Eq)), u16(cTm), u16(cTs)), ndberr.ErrFilterUnsupportedType},
		{"cols decimal bit", prog(u8(opCmpCols), u8(int(Eq)), u16(cDec), u16(cBit)), ndberr.ErrFilterUnsupportedType},
		{"like lone escape", prog(like(cVc, `a\`)), ndberr.ErrFilterBadPattern},
		{"like escaped then lone", prog(like(cBlb, `\\\`)), ndberr.ErrFilterBadPattern},
		{"like bad utf8", prog(like(cCh, "a\xc3")), ndberr.ErrFilterBadPattern},
		{"too deep", prog(deep), ndberr.ErrFilterTooDeep},
		{"too many nodes", prog(grp(Or, len(many), many...)), ndberr.ErrFilterTooLarge},
		{"too many bytes", cat(prog(isNull(cI)), make([]byte, MaxProgramBytes)), ndberr.ErrFilterTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(l, tt.prog)
			if f != nil || !errors.Is(err, tt.want) || ndberr.CodeOf(err) != tt.want.Code {
				t.Fatalf("Compile(%x) = %v, %v; want %v", tt.prog, f, err, tt.want)
			}
		})
	}
}

// TestCompileAccepts checks inputs at the edge of validity.
func TestCompileAccepts(t *testing.T) {
	l := testLayout(t)
	tests := []struct {
		name string
		prog []byte
	}{
		{"bare condition", prog(isNull(cI))},
		{"latin1 pattern need not be UTF-8", prog(like(cVcL, "\xe9%"))},
		{"blob pattern need not be UTF-8", prog(like(cBlb, "\xff_"))},
		{"escaped backslash", prog(like(cVc, `a\\`))},
		{"string longer than the column", prog(cmpc(Lt, cVc, []byte("0123456789abcdef0123")))},
		{"empty string", prog(cmpc(Eq, cCh, nil))},
		{"zero date", prog(cmpc(Eq, cDt, le(0, 3)))},
		{"zero datetime", prog(cmpc(Eq, cDtm, le(0, 8)))},
		{"zero timestamp", prog(cmpc(Eq, cTs, le(0, 8)))},
		{"full BIGINT mask", prog(u8(opBits), u8(int(AllSet)), u16(cBu), lv(le(math.MaxUint64, 8)))},
		{"max group", prog(grp(Nor, 1, isNull(cI)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compile(l, tt.prog); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCompileCopies checks that the filter does not keep the caller's
// buffer, which is a reused signal section.
func TestCompileCopies(t *testing.T) {
	l := testLayout(t)
	rows := fixedRows(t, l)
	p := prog(cmpc(Eq, cI, le(10, 4)))
	f, err := Compile(l, p)
	if err != nil {
		t.Fatal(err)
	}
	clear(p)
	if !f.Match(rows[1]) {
		t.Error("Match changed when the program buffer was overwritten")
	}
	if f.Layout() != l {
		t.Error("Layout")
	}
}
