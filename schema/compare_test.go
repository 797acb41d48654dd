package schema

import "testing"

func TestPadSpaceCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"a", "a", 0},
		{"a", "a ", 0},
		{"a  ", "a", 0},
		{"a\t", "a", -1}, // a tab sorts below the pad space
		{"a", "a\t", 1},
		{"a\x01b", "a", -1},
		{"a!", "a", 1},
		{"a", "a!", -1},
		{"", " ", 0},
		{"", "\t", 1},
		{"ab", "b", -1},
		{"a\t ", "a\t", 0},
	}
	for _, tt := range tests {
		if got := padSpaceCompare([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("padSpaceCompare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
