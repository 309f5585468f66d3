package schemaregistry

import (
	"container/list"
	"context"
	"sync"
)

// cache is a bounded LRU map whose misses are filled by one call per key however many callers
// ask at once (a hand-made singleflight). Errors are not cached.
type cache[K comparable, V any] struct {
	mu       sync.Mutex
	capacity int
	items    map[K]*list.Element
	order    *list.List // front: most recently used; values are *entry[K, V]
	inflight map[K]*call[V]
}

type entry[K comparable, V any] struct {
	key K
	val V
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func newCache[K comparable, V any](capacity int) *cache[K, V] {
	return &cache[K, V]{capacity: capacity, items: map[K]*list.Element{}, order: list.New(), inflight: map[K]*call[V]{}}
}

// get returns the cached value of key, or fills it with fill (once across concurrent callers).
// A caller whose ctx ends stops waiting; the fill goes on for the others.
func (c *cache[K, V]) get(ctx context.Context, key K, fill func() (V, error)) (V, error) {
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		v := el.Value.(*entry[K, V]).val
		c.mu.Unlock()
		return v, nil
	}
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.val, cl.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	cl := &call[V]{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()

	cl.val, cl.err = fill()
	c.mu.Lock()
	delete(c.inflight, key)
	if cl.err == nil {
		c.putLocked(key, cl.val)
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.val, cl.err
}

// put stores a value.
func (c *cache[K, V]) put(key K, v V) {
	c.mu.Lock()
	c.putLocked(key, v)
	c.mu.Unlock()
}

// peek returns a cached value without filling.
func (c *cache[K, V]) peek(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

func (c *cache[K, V]) putLocked(key K, v V) {
	if el, ok := c.items[key]; ok {
		el.Value.(*entry[K, V]).val = v
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&entry[K, V]{key: key, val: v})
	for c.capacity > 0 && c.order.Len() > c.capacity {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry[K, V]).key)
	}
}

// len returns the number of cached values.
func (c *cache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
