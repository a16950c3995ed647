// Package apperr is the error type every layer returns: a kind that decides the HTTP status, a
// translation key that the user sees in their language, and an optional internal cause that is
// logged once and never shown.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the user and for the status code.
type Kind int

// The kinds of error.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Forbidden
	Unauthenticated
	Conflict
	TooMany
	Locked
)

// String names the kind for logs and JSON.
func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not_found"
	case Forbidden:
		return "forbidden"
	case Unauthenticated:
		return "unauthenticated"
	case Conflict:
		return "conflict"
	case TooMany:
		return "too_many_requests"
	case Locked:
		return "locked"
	default:
		return "internal"
	}
}

// Error is an error with a kind and a translation key.
type Error struct {
	Kind Kind
	// Key is the catalog key of the message shown to the user.
	Key string
	// Args fill the message's placeholders.
	Args []any
	// Field names the input field at fault, when there is one.
	Field string
	// Details lists several problems at once, e.g. every bad line of an imported file.
	Details []Detail
	// Cause is the internal error; it is logged, never shown.
	Cause error
	// OutOfScope marks a not-found that hides an object existing outside the actor's scope (another
	// district's, another province's): the user learns nothing, the audit log records the denial.
	OutOfScope bool
}

// Detail is one problem among several, such as one bad row of an import.
type Detail struct {
	Line  int    `json:"line,omitempty"`
	Field string `json:"field,omitempty"`
	Key   string `json:"-"`
	Args  []any  `json:"-"`
}

func (e *Error) Error() string {
	s := e.Kind.String() + ": " + e.Key
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if len(e.Details) > 0 {
		s += fmt.Sprintf(" [%d details]", len(e.Details))
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// New makes an error of kind with a translation key.
func New(kind Kind, key string, args ...any) *Error {
	return &Error{Kind: kind, Key: key, Args: args}
}

// Hidden is the answer to an actor asking for an object that exists outside their scope: not
// found, so that its existence is not disclosed, and marked so that the denial is audited.
func Hidden(key string, args ...any) *Error {
	return &Error{Kind: NotFound, Key: key, Args: args, OutOfScope: true}
}

// Denial tells whether err refuses the actor something out of their scope: forbidden, or an
// object hidden by Hidden.
func Denial(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && (ae.Kind == Forbidden || ae.OutOfScope)
}

// InvalidField is an Invalid error about one input field.
func InvalidField(field, key string, args ...any) *Error {
	return &Error{Kind: Invalid, Key: key, Args: args, Field: field}
}

// Wrap turns an unexpected error into an Internal one, keeping it as the cause.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return &Error{Kind: Internal, Key: "error.internal", Cause: fmt.Errorf("%s: %w", what, err)}
}

// KindOf returns the kind of err; errors that are not *Error are Internal.
func KindOf(err error) Kind {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Kind
	}
	return Internal
}

// As extracts the *Error from err, making an Internal one when there is none.
func As(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Kind: Internal, Key: "error.internal", Cause: err}
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, kind Kind) bool {
	if err == nil {
		return false // spares the hot paths errors.As's allocation
	}
	var ae *Error
	return errors.As(err, &ae) && ae.Kind == kind
}
