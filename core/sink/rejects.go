package sink

import (
	"errors"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// RecordError is one record a sink cannot write: too large for the target, a value the format
// cannot hold, a write the target rejected for that record alone.
type RecordError struct {
	Record record.Record
	Err    error
}

// RecordErrors lists the records a Sink left out. Plan returns it (possibly wrapped) together with
// writes that hold all the other records; Put returns it when the target rejected some records of
// a write and stored the rest. The runtime then fails the batch (errors.tolerance=none) or sends
// those records to the dead-letter destination and goes on (errors.tolerance=all). It is an
// errclass.BadRecord error.
type RecordErrors []RecordError

func (e RecordErrors) Error() string {
	var b strings.Builder
	for i, r := range e {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 3 {
			b.WriteString("and ")
			b.WriteString(itoa(len(e) - 3))
			b.WriteString(" more")
			break
		}
		b.WriteString("record ")
		b.WriteString(r.Record.Coordinates())
		b.WriteString(": ")
		b.WriteString(r.Err.Error())
	}
	return b.String()
}

// Unwrap makes every record's error visible to errors.Is and errors.As, with the BadRecord class.
func (e RecordErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, r := range e {
		out[i] = errclass.New(errclass.BadRecord, "record "+r.Record.Coordinates(), r.Err)
	}
	return out
}

// AsRecordErrors returns the RecordErrors in err's chain, if any.
func AsRecordErrors(err error) (RecordErrors, bool) {
	var re RecordErrors
	if errors.As(err, &re) {
		return re, true
	}
	return nil, false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
