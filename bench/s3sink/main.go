// Command s3sink measures the S3 sink on a 6 MB Lambda batch of 1 KB JSON records and prints a table
// next to a plain reference measured in the same run: encoding/json into aws-lambda-go's
// events.KafkaEvent, base64 decoding, writing lines, stdlib gzip, the same S3 PUT.
//
//	go run ./bench/s3sink [-runs 10] [-gzip=true]
//
// Both pipelines put their objects to the same in-process S3 server and commit to an in-memory
// offsets store; peak heap is sampled every 100 µs during each run, above the heap before it.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

func main() {
	runs := flag.Int("runs", 10, "measured runs of each case (the median is printed)")
	gz := flag.Bool("gzip", true, "compress objects with gzip (s3.compression.type=gzip)")
	flag.Parse()
	if err := run(*runs, *gz); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const (
	batchBytes = 6 * 1024 * 1024
	valueSize  = 1024
	topic      = "orders"
)

// makeEvent builds a Lambda Kafka event of about 6 MB (the payload limit) of ~1 KB JSON values,
// over 4 partitions.
func makeEvent() ([]byte, int, int) {
	rng := rand.New(rand.NewPCG(1, 1))
	var recs []record.Record
	payload := 0
	valueBytes := 0
	for i := 0; ; i++ {
		v := jsonValue(rng, i)
		recs = append(recs, record.Record{Topic: topic, Partition: int32(i % 4), Offset: int64(i / 4),
			Timestamp: 1_700_000_000_000 + int64(i), TimestampType: record.CreateTime,
			Key: fmt.Appendf(nil, "customer-%d", i%97), Value: v})
		payload += base64.StdEncoding.EncodedLen(len(v)) + 160
		valueBytes += len(v)
		if payload > batchBytes-4096 {
			break
		}
	}
	sort.SliceStable(recs, func(a, b int) bool { return recs[a].Partition < recs[b].Partition })
	ev := kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka", SourceARN: "arn:aws:kafka:eu-west-1:123456789012:cluster/bench/1",
		BootstrapServers: "b-1.bench:9098", Records: recs})
	return ev, len(recs), valueBytes
}

func jsonValue(rng *rand.Rand, i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":%d,"customer":"customer-%d","amount":%d.%02d,"currency":"EUR","items":[`, i, i%97, rng.IntN(10000), rng.IntN(100))
	for j := 0; b.Len() < valueSize-80; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%06d","qty":%d,"price":%d.%02d}`, rng.IntN(1000000), 1+rng.IntN(9), rng.IntN(500), rng.IntN(100))
	}
	fmt.Fprintf(&b, `],"note":"%s"}`, strings.Repeat("x", max(0, valueSize-b.Len()-11)))
	return []byte(b.String())
}

type result struct {
	name      string
	wall      time.Duration
	peakHeap  uint64
	allocs    uint64
	records   int
	bytesIn   int
	bytesOut  int64
	reference string
}

func run(runs int, gz bool) error {
	ctx := context.Background()
	srv, err := s3local.Start(s3local.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	client, err := s3local.Client(ctx, srv.URL())
	if err != nil {
		return err
	}
	event, nrec, valueBytes := makeEvent()
	fmt.Printf("batch: %d records of ~%d B JSON, event %.2f MB, values %.2f MB, gzip=%v, GOMAXPROCS=%d, %d runs, medians\n\n",
		nrec, valueSize, mb(len(event)), mb(valueBytes), gz, runtime.GOMAXPROCS(0), runs)

	var results []result

	// Decoding alone.
	results = append(results, measure("decode: kafkaevent.Decode", runs, len(event), nrec, func() (int64, error) {
		buf := bytes.Clone(event)
		_, err := kafkaevent.Decode(buf)
		return 0, err
	}, true))
	results = append(results, measure("decode: reference (encoding/json + base64)", runs, len(event), nrec, func() (int64, error) {
		_, err := referenceDecode(bytes.Clone(event))
		return 0, err
	}, true))

	// The whole handler.
	n := 0
	newHandler := func() (*sink.Handler, string, error) {
		n++
		bucket := fmt.Sprintf("bench-%d", n)
		if err := srv.CreateBucket(ctx, bucket); err != nil {
			return nil, "", err
		}
		props := map[string]string{"connector.name": "bench", "s3.bucket.name": bucket, "s3.region": "us-east-1",
			"flush.size": "100000", "value.converter.schemas.enable": "false"}
		if gz {
			props["s3.compression.type"] = "gzip"
		}
		c, err := s3sink.Spec().Parse(props)
		if err != nil {
			return nil, "", err
		}
		scfg, err := s3sink.ConfigFrom(c)
		if err != nil {
			return nil, "", err
		}
		s, err := s3sink.New(scfg, client)
		if err != nil {
			return nil, "", err
		}
		store, err := offsets.NewFileStore("")
		if err != nil {
			return nil, "", err
		}
		kc, _ := converters.New("StringConverter", true, nil)
		vc, _ := converters.New("JsonConverter", false, map[string]string{"schemas.enable": "false"})
		h, err := sink.New(sink.Config{Connector: "bench", Sink: s, Store: store, KeyConverter: kc, ValueConverter: vc,
			Logger:    slog.New(slog.NewJSONHandler(io.Discard, nil)),
			MetricsTo: io.Discard})
		return h, bucket, err
	}
	var hs []*sink.Handler
	for range runs + 1 {
		h, _, err := newHandler()
		if err != nil {
			return err
		}
		hs = append(hs, h)
	}
	i := 0
	var out atomic.Int64
	results = append(results, measure("handler: decode→convert→encode→S3 put→commit", runs, len(event), nrec, func() (int64, error) {
		h := hs[i]
		i++
		res, err := h.Handle(ctx, bytes.Clone(event))
		var b int64
		for _, p := range res.Partitions {
			b += p.Bytes
		}
		out.Store(b)
		return b, err
	}, true))
	j := 0
	results = append(results, measure("handler: reference (encoding/json, base64, lines, stdlib gzip, S3 put)", runs, len(event), nrec, func() (int64, error) {
		j++
		bucket := fmt.Sprintf("ref-%d", j)
		if err := srv.CreateBucket(ctx, bucket); err != nil {
			return 0, err
		}
		return referenceHandler(ctx, client, bucket, bytes.Clone(event), gz)
	}, true))

	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\trecords/s\tMB/s (event)\tpeak heap MB\tpeak/batch\tallocs/record\toutput MB\t")
	for _, r := range results {
		sec := r.wall.Seconds()
		fmt.Fprintf(w, "%s\t%.0f\t%.1f\t%.1f\t%.2f×\t%.1f\t%.2f\t\n", r.name, float64(r.records)/sec, mb(r.bytesIn)/sec,
			float64(r.peakHeap)/(1<<20), float64(r.peakHeap)/float64(len(event)), float64(r.allocs)/float64(r.records), float64(r.bytesOut)/(1<<20))
	}
	w.Flush()
	fmt.Printf("\nratios (ours / reference, throughput): decode %.2f×, whole handler %.2f×\n",
		results[1].wall.Seconds()/results[0].wall.Seconds(), results[3].wall.Seconds()/results[2].wall.Seconds())
	return nil
}

func mb(n int) float64 { return float64(n) / (1 << 20) }

// measure runs f once to warm up and then runs times, returning the median wall time, the median
// sampled peak heap above the heap before the run, and allocations per run.
func measure(name string, runs, bytesIn, records int, f func() (int64, error), _ bool) result {
	if _, err := f(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	var walls []time.Duration
	var peaks, allocs []uint64
	var outBytes int64
	for range runs {
		runtime.GC()
		debug.FreeOSMemory()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := make(chan struct{})
		var peak atomic.Uint64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			t := time.NewTicker(100 * time.Microsecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > before.HeapAlloc && ms.HeapAlloc-before.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc - before.HeapAlloc)
					}
				}
			}
		}()
		start := time.Now()
		n, err := f()
		wall := time.Since(start)
		close(stop)
		wg.Wait()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		walls = append(walls, wall)
		peaks = append(peaks, peak.Load())
		allocs = append(allocs, after.Mallocs-before.Mallocs)
		outBytes = n
	}
	return result{name: name, wall: median(walls), peakHeap: median(peaks), allocs: median(allocs), records: records, bytesIn: bytesIn, bytesOut: outBytes}
}

func median[T int64 | uint64 | time.Duration](xs []T) T {
	s := append([]T(nil), xs...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}

// referenceDecode is the plain way: encoding/json into events.KafkaEvent and base64 of every value.
func referenceDecode(payload []byte) ([][]byte, error) {
	var ev events.KafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var vals [][]byte
	for _, rs := range ev.Records {
		for _, r := range rs {
			v, err := base64.StdEncoding.DecodeString(r.Value)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
	}
	return vals, nil
}

// referenceHandler is the plain pipeline: decode as above, validate each value as JSON, write it
// as a line, compress with stdlib gzip at the default level, one PUT per partition.
func referenceHandler(ctx context.Context, client *s3.Client, bucket string, payload []byte, gz bool) (int64, error) {
	var ev events.KafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return 0, err
	}
	var total int64
	for tp, rs := range ev.Records {
		var buf bytes.Buffer
		var w io.Writer = &buf
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(&buf)
			w = zw
		}
		for _, r := range rs {
			v, err := base64.StdEncoding.DecodeString(r.Value)
			if err != nil {
				return 0, err
			}
			if !json.Valid(v) {
				return 0, fmt.Errorf("invalid JSON at %s/%d", tp, r.Offset)
			}
			w.Write(v)
			w.Write([]byte{'\n'})
		}
		if zw != nil {
			zw.Close()
		}
		key := fmt.Sprintf("topics/%s/partition=%d/%s+%d+%010d.json", rs[0].Topic, rs[0].Partition, rs[0].Topic, rs[0].Partition, rs[0].Offset)
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(buf.Bytes())}); err != nil {
			return 0, err
		}
		total += int64(buf.Len())
	}
	return total, nil
}
