package ndberr

import (
	"errors"
	"strconv"
)

// Status says whether retrying the same request can succeed.
// The numbers are wire values.
type Status uint8

const (
	StatusSuccess       Status = 0
	StatusTemporary     Status = 1 // retry the transaction: it may well succeed
	StatusPermanent     Status = 2 // retrying the same request fails the same way
	StatusUnknownResult Status = 3 // the transaction may or may not have committed
)

func (s Status) String() string {
	switch s {
	case StatusSuccess:
		return "Success"
	case StatusTemporary:
		return "Temporary error"
	case StatusPermanent:
		return "Permanent error"
	case StatusUnknownResult:
		return "Unknown result"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Classification groups errors by cause, as NDB's ndberror_classification does.
// The numbers are wire values.
type Classification uint8

const (
	ClassNone                Classification = 0
	ClassApplication         Classification = 1
	ClassNoDataFound         Classification = 2
	ClassConstraintViolation Classification = 3
	ClassSchema              Classification = 4
	ClassInsufficientSpace   Classification = 5
	ClassTemporaryResource   Classification = 6
	ClassNodeRecovery        Classification = 7
	ClassOverload            Classification = 8
	ClassTimeout             Classification = 9
	ClassNodeShutdown        Classification = 10
	ClassUnknownResult       Classification = 11
	ClassInternal            Classification = 12
	ClassNotImplemented      Classification = 13
	ClassConfiguration       Classification = 14
)

var classNames = map[Classification]string{
	ClassNone:                "No error",
	ClassApplication:         "Application error",
	ClassNoDataFound:         "No data found",
	ClassConstraintViolation: "Constraint violation",
	ClassSchema:              "Schema error",
	ClassInsufficientSpace:   "Insufficient space",
	ClassTemporaryResource:   "Temporary Resource error",
	ClassNodeRecovery:        "Node Recovery error",
	ClassOverload:            "Overload error",
	ClassTimeout:             "Timeout expired",
	ClassNodeShutdown:        "Node shutdown",
	ClassUnknownResult:       "Unknown result error",
	ClassInternal:            "Internal error",
	ClassNotImplemented:      "Function not implemented",
	ClassConfiguration:       "Configuration or application error",
}

func (c Classification) String() string {
	if s, ok := classNames[c]; ok {
		return s
	}
	return "Classification(" + strconv.Itoa(int(c)) + ")"
}

// Status derives the status from the classification, as NDB does: a
// classification always implies the same status.
func (c Classification) Status() Status {
	switch c {
	case ClassNone:
		return StatusSuccess
	case ClassTemporaryResource, ClassNodeRecovery, ClassOverload, ClassTimeout, ClassNodeShutdown:
		return StatusTemporary
	case ClassUnknownResult:
		return StatusUnknownResult
	}
	return StatusPermanent
}

// Error is one coded error. Values are shared and must not be modified.
type Error struct {
	Code           int
	Classification Classification
	Message        string
}

func (e *Error) Error() string {
	return e.Message + " (NDB error " + strconv.Itoa(e.Code) + ", " + e.Classification.String() + ")"
}

// Status is the error's status, derived from its classification.
func (e *Error) Status() Status { return e.Classification.Status() }

// Temporary reports whether retrying the transaction may succeed.
func (e *Error) Temporary() bool { return e.Status() == StatusTemporary }

// Is lets errors.Is match two *Error values with the same code, so that an
// error decoded from the wire matches the package-level value.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// registry maps codes to errors so that a code received from the wire becomes
// the same *Error again. It is filled by def at package init and read-only after.
var registry = map[int]*Error{}

func def(code int, class Classification, msg string) *Error {
	if _, dup := registry[code]; dup {
		panic("ndberr: duplicate error code " + strconv.Itoa(code))
	}
	e := &Error{Code: code, Classification: class, Message: msg}
	registry[code] = e
	return e
}

// ByCode returns the error registered under code. An unknown code yields a
// fresh *Error classified as unknown, never nil, so a newer peer's code still
// reads sensibly.
func ByCode(code int) *Error {
	if e, ok := registry[code]; ok {
		return e
	}
	return &Error{Code: code, Classification: ClassUnknownResult, Message: "Unknown error code"}
}

// All returns every registered error, for ndbinfo.error_messages and docs.
func All() []*Error {
	out := make([]*Error, 0, len(registry))
	for _, e := range registry {
		out = append(out, e)
	}
	return out
}

// IsTemporary reports whether err (or an error it wraps) is a temporary *Error.
func IsTemporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary()
}

// CodeOf returns the NDB code of err, or 0 when err carries none.
func CodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
