// Package errclass classifies Lambda Connect's errors. Whether a failure is retried, dead-lettered
// or fails the invocation rests on its class:
//
//   - Retriable: the target or a dependency failed in a way that may pass (throttling, timeouts, a
//     lease held by another invocation). The invocation fails; Lambda retries the batch.
//   - BadRecord: one record cannot be processed (undecodable bytes, a value the format cannot hold).
//     With errors.tolerance=all it goes to the dead-letter destination; otherwise the batch fails.
//   - BadConfig: a setting is missing or invalid. Reported at cold start; never retried.
//
// Errors keep their cause (errors.Is/As work through them) and carry the object they concern.
package errclass

import (
	"errors"
	"fmt"
)

// Class is an error's class.
type Class int

const (
	// Unknown is an error that was not classified; it is handled like Retriable.
	Unknown Class = iota
	Retriable
	BadRecord
	BadConfig
)

func (c Class) String() string {
	switch c {
	case Retriable:
		return "retriable"
	case BadRecord:
		return "bad_record"
	case BadConfig:
		return "bad_config"
	default:
		return "unknown"
	}
}

// Error is a classified error about a named subject (a record's topic/partition/offset, an
// object key, a setting).
type Error struct {
	Class   Class
	Subject string
	Err     error
}

func (e *Error) Error() string {
	if e.Subject == "" {
		return e.Err.Error()
	}
	return e.Subject + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// New wraps err with a class and a subject. A nil err gives nil.
func New(c Class, subject string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: c, Subject: subject, Err: err}
}

// Retry, Record and Config are shorthands for New with a format string.
func Retry(subject, format string, args ...any) error {
	return New(Retriable, subject, fmt.Errorf(format, args...))
}

// Record builds a BadRecord error.
func Record(subject, format string, args ...any) error {
	return New(BadRecord, subject, fmt.Errorf(format, args...))
}

// Config builds a BadConfig error.
func Config(subject, format string, args ...any) error {
	return New(BadConfig, subject, fmt.Errorf(format, args...))
}

// Of returns the class of the outermost classified error in err's chain, or Unknown.
func Of(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Unknown
}

// Is reports whether err is of class c.
func Is(err error, c Class) bool { return err != nil && Of(err) == c }
