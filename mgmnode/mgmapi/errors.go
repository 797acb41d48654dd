package mgmapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Code names an operating error of the management API. Codes travel as
// these strings; a retired code stays reserved.
type Code string

const (
	CodeInvalid         Code = "invalid"          // a bad request: unknown node, wrong type, bad config text
	CodeNoFreeNodeID    Code = "no-free-node-id"  // every slot for the type and host is held
	CodeNodeIDInUse     Code = "node-id-in-use"   // the fixed node id is held by another process
	CodeLeaseExpired    Code = "lease-expired"    // the NodeRef's lease is gone; ask for the id again
	CodeNotConnected    Code = "not-connected"    // the command's target has no process or no subscription
	CodeConflict        Code = "conflict"         // SetConfig lost a compare-and-swap
	CodeVersionMismatch Code = "version-mismatch" // protocol versions do not overlap
	CodeShuttingDown    Code = "shutting-down"    // the server is stopping
	CodeInternal        Code = "internal"         // the server's store failed (etcd unreachable, ...)
	CodeTableExists     Code = "table-exists"     // CreateTable: the name is taken
	CodeNoSuchTable     Code = "no-such-table"    // no table of that name or id
	// CodeStoreUnavailable: the server cannot reach its etcd now (cut off,
	// or a leader election); another management server may.
	CodeStoreUnavailable Code = "store-unavailable"
)

var grpcCodes = map[Code]codes.Code{
	CodeInvalid:         codes.InvalidArgument,
	CodeNoFreeNodeID:    codes.ResourceExhausted,
	CodeNodeIDInUse:     codes.AlreadyExists,
	CodeLeaseExpired:    codes.FailedPrecondition,
	CodeNotConnected:    codes.FailedPrecondition,
	CodeConflict:        codes.Aborted,
	CodeVersionMismatch: codes.FailedPrecondition,
	// Unavailable makes a client try the next management server.
	CodeShuttingDown: codes.Unavailable,
	CodeInternal:     codes.Internal,
	CodeTableExists:  codes.AlreadyExists,
	CodeNoSuchTable:  codes.NotFound,
	// Unavailable: the client tries the next management server.
	CodeStoreUnavailable: codes.Unavailable,
}

// Error is an operating error of the management API. Compare with the
// sentinels through errors.Is, which matches on Code.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return string(e.Code)
	}
	return e.Msg
}

// Is matches any *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrInvalid         = &Error{Code: CodeInvalid}
	ErrNoFreeNodeID    = &Error{Code: CodeNoFreeNodeID}
	ErrNodeIDInUse     = &Error{Code: CodeNodeIDInUse}
	ErrLeaseExpired    = &Error{Code: CodeLeaseExpired}
	ErrNotConnected    = &Error{Code: CodeNotConnected}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrVersionMismatch = &Error{Code: CodeVersionMismatch}
	ErrShuttingDown    = &Error{Code: CodeShuttingDown}
	ErrInternal        = &Error{Code: CodeInternal}
	ErrTableExists     = &Error{Code: CodeTableExists}
	ErrNoSuchTable     = &Error{Code: CodeNoSuchTable}

	ErrStoreUnavailable = &Error{Code: CodeStoreUnavailable}
)

// Errorf makes an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// toStatus turns a handler's error into what travels: an *Error (found
// with errors.As) as a status with its code in the message; a context
// error as its gRPC code; anything else as CodeInternal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var e *Error
	if errors.As(err, &e) {
		gc, ok := grpcCodes[e.Code]
		if !ok {
			gc = codes.Unknown
		}
		return status.Error(gc, string(e.Code)+": "+err.Error())
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, string(CodeInternal)+": "+err.Error())
}

// fromStatus turns a received status carrying a Code back into an *Error;
// other errors (transport failures, cancellations) are returned as they
// are.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	code, msg, found := strings.Cut(st.Message(), ": ")
	if !found {
		return err
	}
	if _, known := grpcCodes[Code(code)]; !known {
		return err
	}
	return &Error{Code: Code(code), Msg: msg}
}

// IsUnavailable reports whether err says the server could not be reached,
// is going away or cannot reach its etcd, so that another management
// server should be tried.
func IsUnavailable(err error) bool {
	if errors.Is(err, ErrShuttingDown) || errors.Is(err, ErrStoreUnavailable) {
		return true
	}
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.Unavailable
}
