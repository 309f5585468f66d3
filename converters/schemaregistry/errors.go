package schemaregistry

import (
	"errors"
	"fmt"
)

// Sentinels an error of the client matches with errors.Is.
var (
	// ErrNotFound: the registry answered 404 (subject, version or schema not found).
	ErrNotFound = errors.New("not found")
	// ErrIncompatible: the registry refused a schema as incompatible (409).
	ErrIncompatible = errors.New("incompatible schema")
	// ErrInvalidSchema: the registry refused a schema or version as invalid (422).
	ErrInvalidSchema = errors.New("invalid schema")
	// ErrUnauthorized: the registry refused the credentials (401 or 403).
	ErrUnauthorized = errors.New("unauthorized")
)

// Confluent's error codes.
const (
	CodeSubjectNotFound          = 40401
	CodeVersionNotFound          = 40402
	CodeSchemaNotFound           = 40403
	CodeSubjectLevelCompatNotSet = 40408
	CodeInvalidSchema            = 42201
	CodeInvalidVersion           = 42202
	CodeInvalidCompatibility     = 42203
	CodeBackendStore             = 50001
)

// APIError is an error response of the registry: the HTTP status and Confluent's error_code and
// message.
type APIError struct {
	Method string // the request: "GET /schemas/ids/7"
	Path   string
	Status int
	Code   int    `json:"error_code"`
	Msg    string `json:"message"`
}

func (e *APIError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Sprintf("schema registry %s %s: HTTP %d, error code %d: %s", e.Method, e.Path, e.Status, e.Code, msg)
}

// Is matches the sentinels by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrIncompatible:
		return e.Status == 409
	case ErrInvalidSchema:
		return e.Status == 422
	case ErrUnauthorized:
		return e.Status == 401 || e.Status == 403
	}
	return false
}
