//go:build !linux

package lineedit

import "errors"

func isTerminal(int) bool { return false }

func makeRaw(int) (func(), error) {
	return nil, errors.New("lineedit: raw mode is only implemented on Linux")
}
