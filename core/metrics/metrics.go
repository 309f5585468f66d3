// Package metrics records a Lambda invocation's metrics and writes them as one CloudWatch
// Embedded Metric Format (EMF) line: a JSON log line on stdout from which CloudWatch Logs
// extracts the metrics, with no AWS SDK and no network call.
//
// A Recorder sums counts and bytes and collects durations until Flush, which writes them (with
// the Recorder's dimensions and the invocation's extra properties, such as the request id) as one
// line and starts over: one Flush per invocation.
package metrics

import (
	"github.com/lambda-connect/lambda-connect/converters/jsonconv"
	"io"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Limits of the EMF specification.
const (
	// MaxMetricsPerDirective is how many metrics one CloudWatchMetrics directive may declare;
	// a line with more metrics declares them in several directives.
	MaxMetricsPerDirective = 100
	// MaxDimensions is how many dimensions a dimension set may hold; further dimensions are
	// written as plain properties.
	MaxDimensions = 30
	// MaxValues is how many values one metric may carry in a line; further durations recorded
	// before the next Flush are dropped.
	MaxValues = 100
)

// DefaultNamespace is the namespace of a Recorder created with an empty one.
const DefaultNamespace = "LambdaConnect"

// The units metrics are declared with.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
	UnitBytes        = "Bytes"
)

type metric struct {
	name    string
	unit    string
	touched bool
	sum     int64     // Count and Bytes
	values  []float64 // Milliseconds, one per observation
}

// Recorder accumulates metrics for one EMF line. It is safe for concurrent use; a nil *Recorder
// records nothing and its Flush writes nothing.
type Recorder struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	dimKeys   []string          // the dimension set: keys with a non-empty value, sorted
	props     map[string]string // every dimension's value, and dimensions beyond the limit
	propKeys  []string          // keys of props, sorted
	now       func() time.Time
	metrics   map[string]*metric // kept across flushes so that steady state allocates little
	names     []string           // scratch: touched metric names
	extraKeys []string           // scratch: extra property names
	buf       []byte             // the line being built
}

// New returns a Recorder writing EMF lines to w (os.Stdout in Lambda) in namespace (""
// is DefaultNamespace), with the given dimensions (name -> value; those with an empty value are
// left out, as CloudWatch rejects them).
func New(w io.Writer, namespace string, dims map[string]string) *Recorder {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	r := &Recorder{w: w, namespace: namespace, now: time.Now, props: map[string]string{}, metrics: map[string]*metric{}}
	for k, v := range dims {
		if k == "" || v == "" {
			continue
		}
		r.props[k] = v
		r.propKeys = append(r.propKeys, k)
	}
	sort.Strings(r.propKeys)
	r.dimKeys = r.propKeys[:min(len(r.propKeys), MaxDimensions)]
	return r
}

// SetClock replaces the clock that stamps the lines (time.Now), for tests.
func (r *Recorder) SetClock(now func() time.Time) {
	r.mu.Lock()
	r.now = now
	r.mu.Unlock()
}

// Count adds n to the count metric name. Metrics named "_aws" or like a dimension are ignored,
// here and in Bytes and Milliseconds.
func (r *Recorder) Count(name string, n int64) { r.add(name, UnitCount, n) }

// Bytes adds n to the byte-size metric name.
func (r *Recorder) Bytes(name string, n int64) { r.add(name, UnitBytes, n) }

// Milliseconds records one duration of the metric name (negative durations as 0). Every duration
// recorded before Flush is a value of the line (up to MaxValues), so CloudWatch computes its
// statistics over all of them.
func (r *Recorder) Milliseconds(name string, d time.Duration) {
	if r.ignore(name) {
		return
	}
	ms := float64(max(d, 0)) / float64(time.Millisecond)
	r.mu.Lock()
	m := r.get(name, UnitMilliseconds)
	if len(m.values) < MaxValues {
		m.values = append(m.values, ms)
	}
	r.mu.Unlock()
}

func (r *Recorder) add(name, unit string, n int64) {
	if r.ignore(name) {
		return
	}
	r.mu.Lock()
	r.get(name, unit).sum += n
	r.mu.Unlock()
}

// ignore reports whether a metric called name cannot be recorded: a nil Recorder, an empty
// name, "_aws" or the name of a dimension (its value is the dimension's).
func (r *Recorder) ignore(name string) bool {
	if r == nil || name == "" || name == "_aws" {
		return true
	}
	_, isProp := r.props[name]
	return isProp
}

// get returns the metric called name, touched. A metric keeps the unit of its first use in an
// interval; later uses with another unit add to it. Call with r.mu held.
func (r *Recorder) get(name, unit string) *metric {
	m := r.metrics[name]
	if m == nil {
		m = &metric{name: name}
		r.metrics[name] = m
	}
	if !m.touched {
		m.touched, m.unit = true, unit
	}
	return m
}

// Flush writes the metrics recorded since the last Flush as one EMF line and resets them.
// Metrics never touched are left out, and nothing is written when nothing was recorded. extra
// holds plain (non-dimension) properties for the line, such as the request id; an extra
// property named like a dimension, a metric of the line or "_aws" is dropped, so that it cannot
// change a metric. A write error is Retriable; the metrics are reset either way.
func (r *Recorder) Flush(extra map[string]string) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	r.names = r.names[:0]
	for name, m := range r.metrics {
		if m.touched {
			r.names = append(r.names, name)
		}
	}
	if len(r.names) == 0 {
		return nil
	}
	sort.Strings(r.names)

	b := r.buf[:0]
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, r.now().UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[`...)
	for start := 0; start < len(r.names); start += MaxMetricsPerDirective {
		if start > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Namespace":`...)
		b = jsonconv.AppendString(b, r.namespace)
		b = append(b, `,"Dimensions":[[`...)
		for i, k := range r.dimKeys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonconv.AppendString(b, k)
		}
		b = append(b, `]],"Metrics":[`...)
		for i, name := range r.names[start:min(start+MaxMetricsPerDirective, len(r.names))] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Name":`...)
			b = jsonconv.AppendString(b, name)
			b = append(b, `,"Unit":"`...)
			b = append(b, r.metrics[name].unit...)
			b = append(b, `"}`...)
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]}"...)

	for _, k := range r.propKeys {
		b = append(b, ',')
		b = jsonconv.AppendString(b, k)
		b = append(b, ':')
		b = jsonconv.AppendString(b, r.props[k])
	}
	for _, name := range r.names {
		m := r.metrics[name]
		b = append(b, ',')
		b = jsonconv.AppendString(b, name)
		b = append(b, ':')
		switch {
		case m.unit != UnitMilliseconds || len(m.values) == 0:
			b = strconv.AppendInt(b, m.sum, 10)
		case len(m.values) == 1:
			b = strconv.AppendFloat(b, m.values[0], 'f', -1, 64)
		default:
			b = append(b, '[')
			for i, v := range m.values {
				if i > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, v, 'f', -1, 64)
			}
			b = append(b, ']')
		}
	}
	r.extraKeys = r.extraKeys[:0]
	for k := range extra {
		if m, isMetric := r.metrics[k]; k == "" || k == "_aws" || isMetric && m.touched {
			continue
		}
		if _, isProp := r.props[k]; isProp {
			continue
		}
		r.extraKeys = append(r.extraKeys, k)
	}
	slices.Sort(r.extraKeys)
	for _, k := range r.extraKeys {
		b = append(b, ',')
		b = jsonconv.AppendString(b, k)
		b = append(b, ':')
		b = jsonconv.AppendString(b, extra[k])
	}
	b = append(b, "}\n"...)
	r.buf = b

	for _, name := range r.names {
		m := r.metrics[name]
		m.touched, m.sum, m.values = false, 0, m.values[:0]
	}
	if _, err := r.w.Write(b); err != nil {
		return errclass.Retry("EMF metrics line", "writing: %w", err)
	}
	return nil
}

const hex = "0123456789abcdef"
