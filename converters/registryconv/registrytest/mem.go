// Package registrytest holds the test helpers the registry converters' tests share: an
// in-memory schema registry that counts the calls made of it, the benchmark record, the
// converter's run against the in-process Confluent-compatible registry over HTTP, the schemas
// and values of their round trips, and the checks of their errors, configuration and golden
// files.
package registrytest

import (
	"context"
	"errors"
	"sync"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Mem is an in-memory schema registry that counts the calls made of it. Its fields may be read
// and set by a test between conversions.
type Mem struct {
	mu       sync.Mutex
	Type     string                        // the schema type Add stores
	ByID     map[int]schemaregistry.Schema // schema id -> schema
	Subjects map[string][]int              // subject -> ids of its versions
	nextID   int
	Calls    map[string]int // method -> calls
	Fail     error          // returned by every call when set
}

// NewMem returns an empty registry whose Add stores schemas of type typ
// (schemaregistry.JSONSchema, schemaregistry.Protobuf, ...).
func NewMem(typ string) *Mem {
	return &Mem{Type: typ, ByID: map[int]schemaregistry.Schema{}, Subjects: map[string][]int{}, nextID: 1, Calls: map[string]int{}}
}

// Add stores a schema under a fixed id (and subject, when not empty).
func (r *Mem) Add(id int, subject, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ByID[id] = schemaregistry.Schema{ID: id, Type: r.Type, Schema: text}
	if subject != "" {
		r.Subjects[subject] = append(r.Subjects[subject], id)
	}
}

// AddRefs stores a schema with references under a fixed id (and subject, when not empty).
func (r *Mem) AddRefs(id int, subject, text string, refs []schemaregistry.Reference) {
	r.Add(id, subject, text)
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.ByID[id]
	s.References = refs
	r.ByID[id] = s
}

// Count returns how many times method was called.
func (r *Mem) Count(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Calls[method]
}

// SchemaByID returns the schema of id; an unknown id is a BadRecord error, as the client's 40403.
func (r *Mem) SchemaByID(_ context.Context, id int) (schemaregistry.Schema, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls["SchemaByID"]++
	if r.Fail != nil {
		return schemaregistry.Schema{}, r.Fail
	}
	s, ok := r.ByID[id]
	if !ok {
		return s, errclass.Record("schema registry", "schema %d not found (40403)", id)
	}
	return s, nil
}

func (r *Mem) find(subject, text string) (int, bool) {
	for _, id := range r.Subjects[subject] {
		if r.ByID[id].Schema == text {
			return id, true
		}
	}
	return 0, false
}

// Register returns the id of s under subject, adding it (with the id of the same text under
// another subject, or a new id) when the subject does not have it.
func (r *Mem) Register(_ context.Context, subject string, s schemaregistry.Schema) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls["Register"]++
	if r.Fail != nil {
		return 0, r.Fail
	}
	if id, ok := r.find(subject, s.Schema); ok {
		return id, nil
	}
	for id, have := range r.ByID {
		if have.Schema == s.Schema {
			r.Subjects[subject] = append(r.Subjects[subject], id)
			return id, nil
		}
	}
	for r.ByID[r.nextID].Schema != "" {
		r.nextID++
	}
	id := r.nextID
	s.ID = id
	r.ByID[id] = s
	r.Subjects[subject] = append(r.Subjects[subject], id)
	return id, nil
}

// Lookup returns the version of subject with s's text; none is a BadRecord error.
func (r *Mem) Lookup(_ context.Context, subject string, s schemaregistry.Schema) (schemaregistry.Schema, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls["Lookup"]++
	if r.Fail != nil {
		return schemaregistry.Schema{}, r.Fail
	}
	if id, ok := r.find(subject, s.Schema); ok {
		return r.ByID[id], nil
	}
	return schemaregistry.Schema{}, errclass.Record("schema registry", "schema not found under subject %s (40403)", subject)
}

// Latest returns subject's last version; an unknown subject is an unclassified error.
func (r *Mem) Latest(_ context.Context, subject string) (schemaregistry.Schema, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls["Latest"]++
	if r.Fail != nil {
		return schemaregistry.Schema{}, r.Fail
	}
	ids := r.Subjects[subject]
	if len(ids) == 0 {
		return schemaregistry.Schema{}, errors.New("subject not found")
	}
	s := r.ByID[ids[len(ids)-1]]
	s.Subject, s.Version = subject, len(ids)
	return s, nil
}
