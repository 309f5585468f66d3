package avroconv

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// fakeRegistry is an in-memory schema registry that counts the calls made of it.
type fakeRegistry struct {
	mu       sync.Mutex
	byID     map[int]schemaregistry.Schema
	subjects map[string][]int // subject -> ids by version
	nextID   int
	down     bool   // every call fails as if the registry were unreachable
	downOnly string // only this call (e.g. "Lookup") fails so
	calls    map[string]int
}

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{byID: map[int]schemaregistry.Schema{}, subjects: map[string][]int{}, nextID: 1, calls: map[string]int{}}
}

var errDown = errors.New("dial tcp 127.0.0.1:8081: connection refused")

func (f *fakeRegistry) count(call string) error {
	f.calls[call]++
	if f.down || f.downOnly == call {
		return errDown
	}
	return nil
}

func (f *fakeRegistry) Calls(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[call]
}

func (f *fakeRegistry) SetDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// add registers text under subject with a chosen id (0: the next one) and returns the id.
func (f *fakeRegistry) add(subject string, id int, text string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(subject, id, text)
}

func (f *fakeRegistry) addLocked(subject string, id int, text string) int {
	for _, known := range f.subjects[subject] {
		if f.byID[known].Schema == text {
			return known
		}
	}
	if id == 0 {
		id = f.nextID
	}
	f.nextID = max(f.nextID, id+1)
	f.byID[id] = schemaregistry.Schema{ID: id, Type: schemaregistry.Avro, Schema: text}
	f.subjects[subject] = append(f.subjects[subject], id)
	return id
}

func (f *fakeRegistry) SchemaByID(_ context.Context, id int) (schemaregistry.Schema, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.count("SchemaByID"); err != nil {
		return schemaregistry.Schema{}, err
	}
	s, ok := f.byID[id]
	if !ok {
		return s, errclass.Record(fmt.Sprintf("schema id %d", id), "schema not found (404, error code 40403)")
	}
	return s, nil
}

func (f *fakeRegistry) Register(_ context.Context, subject string, s schemaregistry.Schema) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.count("Register"); err != nil {
		return 0, err
	}
	return f.addLocked(subject, 0, s.Schema), nil
}

func (f *fakeRegistry) Lookup(_ context.Context, subject string, s schemaregistry.Schema) (schemaregistry.Schema, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.count("Lookup"); err != nil {
		return schemaregistry.Schema{}, err
	}
	for v, id := range f.subjects[subject] {
		if f.byID[id].Schema == s.Schema {
			out := f.byID[id]
			out.Subject, out.Version = subject, v+1
			return out, nil
		}
	}
	return schemaregistry.Schema{}, errclass.Record(subject, "schema not found (404, error code 40403)")
}

func (f *fakeRegistry) Latest(_ context.Context, subject string) (schemaregistry.Schema, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.count("Latest"); err != nil {
		return schemaregistry.Schema{}, err
	}
	ids := f.subjects[subject]
	if len(ids) == 0 {
		return schemaregistry.Schema{}, errclass.Record(subject, "subject not found (404, error code 40401)")
	}
	out := f.byID[ids[len(ids)-1]]
	out.Subject, out.Version = subject, len(ids)
	return out, nil
}
