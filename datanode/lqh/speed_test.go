package lqh

import "testing"

func TestAdaptiveSpeed(t *testing.T) {
	const lo, hi = 10 << 20, 64 << 20
	for _, tt := range []struct {
		name          string
		lo, hi        int64
		trigger, fill float64
		want          int64
	}{
		{"empty log: the minimum", lo, hi, 0.25, 0, lo},
		{"at the trigger: still the minimum", lo, hi, 0.25, 0.25, lo},
		{"halfway to twice the trigger", lo, hi, 0.25, 0.375, lo + (hi-lo)/2},
		{"twice the trigger: the maximum", lo, hi, 0.25, 0.5, hi},
		{"nearly full", lo, hi, 0.25, 0.84, hi},
		{"the ramp ends at 70% for a high trigger", lo, hi, 0.5, 0.7, hi},
		{"no minimum: always the maximum", 0, hi, 0.25, 0, hi},
		{"minimum above the maximum: the maximum", hi, lo, 0.25, 0, lo},
		{"unlimited", lo, 0, 0.25, 0.9, 0},
	} {
		if got := adaptiveSpeed(tt.lo, tt.hi, tt.trigger, tt.fill); got != tt.want {
			t.Errorf("%s: adaptiveSpeed(%d, %d, %v, %v) = %d, want %d", tt.name, tt.lo, tt.hi, tt.trigger, tt.fill, got, tt.want)
		}
	}
}
