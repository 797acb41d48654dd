// Package gsn numbers gondb's blocks and signals (NDB's global signal
// numbers) and documents each signal's words and sections. Numbers are wire
// values: explicit constants, never iota; a retired number stays here as a
// comment and is never reused. A test pins the table.
//
// gsn imports only signal.
package gsn
