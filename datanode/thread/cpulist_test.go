package thread

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		frag string // error fragment; "" = valid
	}{
		{"", nil, ""},
		{"\n", nil, ""},
		{"0", []int{0}, ""},
		{"0-3,8-11\n", []int{0, 1, 2, 3, 8, 9, 10, 11}, ""},
		{"5,1,3-4", []int{5, 1, 3, 4}, ""},
		{" 2 , 7 ", []int{2, 7}, ""},
		{"8191", []int{8191}, ""},
		{"8192", nil, "CPU 8192 above 8191"},
		{"3-1", nil, `range "3-1" runs backwards`},
		{"1,,2", nil, `"" is not a CPU number`},
		{"a", nil, `"a" is not a CPU number`},
		{"-1", nil, `"" is not a CPU number`},
		{"1-2-3", nil, `"2-3" is not a CPU number`},
		{"0-3,2", nil, "CPU 2 listed twice"},
	} {
		got, err := ParseCPUList(tc.in)
		if tc.frag == "" {
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseCPUList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, ErrCPUList) || !strings.Contains(err.Error(), tc.frag) {
			t.Errorf("ParseCPUList(%q) error = %v, want %q", tc.in, err, tc.frag)
		}
	}
}

func TestFormatCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{4}, "4"},
		{[]int{0, 1}, "0,1"},
		{[]int{0, 1, 2}, "0-2"},
		{[]int{0, 1, 2, 3, 8, 9, 10, 11}, "0-3,8-11"},
		{[]int{3, 2, 1}, "3,2,1"},
		{[]int{7, 0, 1, 2, 5}, "7,0-2,5"},
	} {
		got := FormatCPUList(tc.in)
		if got != tc.want {
			t.Errorf("FormatCPUList(%v) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ParseCPUList(got)
		if err != nil || !reflect.DeepEqual(back, tc.in) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want %v", got, back, err, tc.in)
		}
	}
}
