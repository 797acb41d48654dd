package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid matches, with errors.Is, every *Error: the configuration is
// not valid.
var ErrInvalid = errors.New("invalid configuration")

// Error is one problem in a configuration. Parse returns all of them, in
// line order, joined with errors.Join.
type Error struct {
	File    string // as given to Parse; "" for a Config built in code
	Line    int    // 1-based; 0 when no line is at fault (a missing section) or unknown
	Section string // section name as written, lower case ("ndbd default"); "" when none
	Param   string // canonical parameter name, or the name as written when unknown
	Value   string // the value as written, or formatted from the Config
	// NodeID names the node when Line cannot point at it (a Config built in
	// code); 0 otherwise.
	NodeID int
	Msg    string
}

// Error formats e like
//
//	config.ini:12: [ndbd] DataMemory=5X: not a size (expected a number with optional K, M or G)
//
// leaving out the parts e does not have.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	subject := false
	if e.Section != "" {
		b.WriteString("[" + e.Section + "]")
		subject = true
	}
	if e.NodeID != 0 && e.Line == 0 {
		if subject {
			b.WriteByte(' ')
		}
		b.WriteString("node " + strconv.Itoa(e.NodeID))
		subject = true
	}
	if e.Param != "" {
		if subject {
			b.WriteByte(' ')
		}
		b.WriteString(e.Param)
		if e.Value != "" {
			b.WriteString("=" + e.Value)
		}
		subject = true
	}
	if subject {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Warning is a parameter gondb accepted but does not use as written: an
// ignored NDB parameter, a deprecated one, or one another overrides.
type Warning struct {
	File    string
	Line    int
	Section string
	Param   string
	Message string
}

// String formats w like an Error.
func (w Warning) String() string {
	e := Error{File: w.File, Line: w.Line, Section: w.Section, Param: w.Param, Msg: w.Message}
	return "warning: " + e.Error()
}
