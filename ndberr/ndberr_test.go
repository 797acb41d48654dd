package ndberr

import (
	"errors"
	"fmt"
	"testing"
)

func TestStatusFromClassification(t *testing.T) {
	tests := []struct {
		err  *Error
		want Status
	}{
		{ErrNoSuchRow, StatusPermanent},
		{ErrRowExists, StatusPermanent},
		{ErrOutOfDataMemory, StatusPermanent},
		{ErrDeadlockTimeout, StatusTemporary},
		{ErrTooManyOperations, StatusTemporary},
	}
	for _, tt := range tests {
		if got := tt.err.Status(); got != tt.want {
			t.Errorf("%d: status %v, want %v", tt.err.Code, got, tt.want)
		}
	}
}

func TestByCodeRoundTrip(t *testing.T) {
	for _, e := range All() {
		if got := ByCode(e.Code); got != e {
			t.Errorf("ByCode(%d) = %p, want %p", e.Code, got, e)
		}
	}
	unk := ByCode(123456)
	if unk.Status() != StatusUnknownResult {
		t.Errorf("unknown code status = %v", unk.Status())
	}
}

func TestIsAndWrap(t *testing.T) {
	wrapped := fmt.Errorf("insert into t1: %w", ErrRowExists)
	if !errors.Is(wrapped, ErrRowExists) {
		t.Fatal("errors.Is through wrap failed")
	}
	fromWire := &Error{Code: 630}
	if !errors.Is(fromWire, ErrRowExists) {
		t.Fatal("same code should match")
	}
	if errors.Is(wrapped, ErrNoSuchRow) {
		t.Fatal("different code matched")
	}
	if CodeOf(wrapped) != 630 || CodeOf(errors.New("x")) != 0 {
		t.Fatal("CodeOf")
	}
	if !IsTemporary(fmt.Errorf("x: %w", ErrDeadlockTimeout)) || IsTemporary(wrapped) {
		t.Fatal("IsTemporary")
	}
}
