package registryconv

import (
	"sync"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Cache holds one value per key, fetched once: concurrent callers of a key being fetched wait
// for that one fetch. A full cache is emptied (schemas built per record by a transform are
// distinct keys). It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	size int

	mu sync.Mutex
	m  map[K]*entry[V]
}

type entry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// NewCache returns a cache of at most size entries (size <= 0 is DefaultCacheSize).
func NewCache[K comparable, V any](size int) *Cache[K, V] {
	return &Cache[K, V]{size: CacheSize(size), m: map[K]*entry[V]{}}
}

// Get returns the value of key, calling fetch when the cache does not hold it. A failed fetch
// stays cached when keep(err) is true (nil keep forgets every failure), so that the next caller
// fetches again otherwise.
func (c *Cache[K, V]) Get(key K, fetch func() (V, error), keep func(error) bool) (V, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		if len(c.m) >= c.size {
			clear(c.m)
		}
		e = &entry[V]{done: make(chan struct{})}
		c.m[key] = e
	}
	c.mu.Unlock()
	if ok {
		<-e.done
		return e.v, e.err
	}
	e.v, e.err = fetch()
	close(e.done)
	if e.err != nil && (keep == nil || !keep(e.err)) {
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
	return e.v, e.err
}

// Peek returns the value of key without waiting or fetching: ok is false unless a fetch of key
// has finished without error.
func (c *Cache[K, V]) Peek(key K) (v V, ok bool) {
	c.mu.Lock()
	e, found := c.m[key]
	c.mu.Unlock()
	if !found {
		return v, false
	}
	select {
	case <-e.done:
		if e.err != nil {
			return v, false
		}
		return e.v, true
	default:
		return v, false
	}
}

// Len returns how many entries the cache holds.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// KeepBadRecord keeps BadRecord failures (a schema id the registry does not have, a schema the
// converter cannot use), so that every record framed with it does not ask the registry again;
// other failures (outages) are retried.
func KeepBadRecord(err error) bool { return errclass.Is(err, errclass.BadRecord) }
