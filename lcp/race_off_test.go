//go:build !race

package lcp

const raceEnabled = false
