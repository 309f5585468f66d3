// Command s3sink measures the S3 sink on a 6 MB Lambda batch of 1 KB JSON records and prints a table
// next to a plain reference measured in the same run: encoding/json into aws-lambda-go's
// events.KafkaEvent, base64 decoding, writing lines, stdlib gzip, the same S3 PUT.
//
//	go run ./bench/s3sink [-runs 10] [-gzip=true]
//
// Two more rows write the same schema'd records (JsonConverter envelopes, schemas.enable=true)
// as JSON lines and as Parquet (snappy), uncompressed by s3.compression.type.
//
// Both pipelines put their objects to the same S3 server (gofakes3, in a child process so that
// its memory is not counted as the handler's) and the handler commits to an in-memory offsets
// store. Each run gets its own copy of the event, made before the clock starts (decoding
// is in place). Peak heap is sampled every 100 µs during each run, above the heap before it, and
// the event itself (which Lambda's runtime holds in memory) is added to it.
package main

import (
	"bufio"
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
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

func main() {
	runs := flag.Int("runs", 10, "measured runs of each case (the median is printed)")
	gz := flag.Bool("gzip", true, "compress objects with gzip (s3.compression.type=gzip)")
	serve := flag.Bool("serve-s3", false, "internal: serve S3 and print its URL (the benchmark's child process)")
	flag.Parse()
	if *serve {
		serveS3()
		return
	}
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
func makeEvent() ([]byte, int, int) { return makeEventWith(jsonValue) }

// makeEventWith is makeEvent with values made by value.
func makeEventWith(value func(*rand.Rand, int) []byte) ([]byte, int, int) {
	rng := rand.New(rand.NewPCG(1, 1))
	var recs []record.Record
	payload := 0
	valueBytes := 0
	for i := 0; ; i++ {
		v := value(rng, i)
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

// valueSchema is the Connect schema of jsonValue's values, in JsonConverter's form.
const valueSchema = `{"type":"struct","name":"Order","optional":false,"fields":[` +
	`{"field":"id","type":"int64"},{"field":"customer","type":"string"},{"field":"amount","type":"double"},` +
	`{"field":"currency","type":"string"},{"field":"items","type":"array","items":{"type":"struct","name":"Item","fields":[` +
	`{"field":"sku","type":"string"},{"field":"qty","type":"int32"},{"field":"price","type":"double"}]}},` +
	`{"field":"note","type":"string"}]}`

// schemaValue is jsonValue in JsonConverter's schemas.enable=true envelope.
func schemaValue(rng *rand.Rand, i int) []byte {
	return fmt.Appendf(nil, `{"schema":%s,"payload":%s}`, valueSchema, jsonValue(rng, i))
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
	url, stop, err := startS3Child()
	if err != nil {
		return err
	}
	defer stop()
	client, err := s3local.Client(ctx, url)
	if err != nil {
		return err
	}
	srv := bucketMaker{client}
	event, nrec, valueBytes := makeEvent()
	fmt.Printf("batch: %d records of ~%d B JSON, event %.2f MB, values %.2f MB, gzip=%v, GOMAXPROCS=%d, %d runs, medians\n\n",
		nrec, valueSize, mb(len(event)), mb(valueBytes), gz, runtime.GOMAXPROCS(0), runs)

	var results []result

	// Decoding alone.
	results = append(results, measure("decode: kafkaevent.Decode", runs, event, nrec, func(buf []byte) (int64, error) {
		_, err := kafkaevent.Decode(buf)
		return 0, err
	}))
	results = append(results, measure("decode: reference (encoding/json + base64)", runs, event, nrec, func(buf []byte) (int64, error) {
		_, err := referenceDecode(buf)
		return 0, err
	}))

	// The whole handler: one handler, built once as at a Lambda cold start and reused warm. Before
	// each run (off the clock) its offsets are reset and its bucket emptied.
	h, store, err := newHandler(ctx, srv, gz)
	if err != nil {
		return err
	}
	resetHandler := func() error {
		for p := range int32(4) {
			if err := store.Reset(ctx, offsets.Key{Connector: "bench", Topic: topic, Partition: p}, -1, true); err != nil {
				return err
			}
		}
		return emptyBucket(ctx, client, "bench")
	}
	results = append(results, measureWith("handler: decode→convert→encode→S3 put→commit", runs, event, nrec, resetHandler, func(buf []byte) (int64, error) {
		res, err := h.Handle(ctx, buf)
		var b int64
		for _, p := range res.Partitions {
			b += p.Bytes
		}
		return b, err
	}))
	j := 0
	results = append(results, measure("handler: reference (encoding/json, base64, lines, stdlib gzip, S3 put)", runs, event, nrec, func(buf []byte) (int64, error) {
		j++
		bucket := fmt.Sprintf("ref-%d", j)
		if err := srv.CreateBucket(ctx, bucket); err != nil {
			return 0, err
		}
		return referenceHandler(ctx, client, bucket, buf, gz)
	}))

	// The same schema'd records (JsonConverter with schemas.enable=true: each value carries its
	// schema) written as JSON lines and as Parquet, in the same run.
	schemaEvent, snrec, _ := makeEventWith(schemaValue)
	for _, f := range []struct{ name, bucket, format string }{
		{"handler, schema'd JSON in: JSON lines out", "bench-jsonl", "JsonFormat"},
		{"handler, schema'd JSON in: Parquet (snappy) out", "bench-parquet", "ParquetFormat"},
	} {
		props := map[string]string{"format.class": f.format, "value.converter.schemas.enable": "true"}
		fh, fstore, err := newHandlerProps(ctx, srv, f.bucket, props)
		if err != nil {
			return err
		}
		reset := func() error {
			for p := range int32(4) {
				if err := fstore.Reset(ctx, offsets.Key{Connector: "bench", Topic: topic, Partition: p}, -1, true); err != nil {
					return err
				}
			}
			return emptyBucket(ctx, client, f.bucket)
		}
		results = append(results, measureWith(f.name, runs, schemaEvent, snrec, reset, func(buf []byte) (int64, error) {
			res, err := fh.Handle(ctx, buf)
			var b int64
			written := 0
			for _, p := range res.Partitions {
				b += p.Bytes
				written += p.Written
			}
			if err == nil && written != snrec {
				err = fmt.Errorf("%s: %d records written of %d", f.name, written, snrec)
			}
			return b, err
		}))
	}

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

// measure runs f once to warm up and then runs times, each on its own copy of event, returning
// the median wall time, the median sampled peak heap (above the heap before the run, plus the
// event) and allocations per run.
func measure(name string, runs int, event []byte, records int, f func([]byte) (int64, error)) result {
	return measureWith(name, runs, event, records, nil, f)
}

// measureWith is measure with a step run before each run, off the clock.
func measureWith(name string, runs int, event []byte, records int, before func() error, f func([]byte) (int64, error)) result {
	bytesIn := len(event)
	if before == nil {
		before = func() error { return nil }
	}
	if err := before(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	if _, err := f(bytes.Clone(event)); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	var walls []time.Duration
	var peaks, allocs []uint64
	var outBytes int64
	for range runs {
		if err := before(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		buf := bytes.Clone(event)
		runtime.GC()
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
		n, err := f(buf)
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
		peaks = append(peaks, peak.Load()+uint64(bytesIn))
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

// serveS3 runs an S3 server until its standard input closes, printing its URL first.
func serveS3() {
	srv, err := s3local.Start(s3local.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// startS3Child starts this program as the S3 server in a child process.
func startS3Child() (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-serve-s3")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return "", nil, fmt.Errorf("S3 server child: %w", err)
	}
	return strings.TrimSpace(line), func() { stdin.Close(); cmd.Wait() }, nil
}

type bucketMaker struct{ client *s3.Client }

func (b bucketMaker) CreateBucket(ctx context.Context, name string) error {
	_, err := b.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	return err
}

// newHandler builds the S3 sink's handler over the bucket "bench" with an in-memory offsets store.
func newHandler(ctx context.Context, srv bucketMaker, gz bool) (*sink.Handler, *offsets.FileStore, error) {
	props := map[string]string{}
	if gz {
		props["s3.compression.type"] = "gzip"
	}
	return newHandlerProps(ctx, srv, "bench", props)
}

// newHandlerProps builds the S3 sink's handler over bucket with extra settings.
func newHandlerProps(ctx context.Context, srv bucketMaker, bucket string, extra map[string]string) (*sink.Handler, *offsets.FileStore, error) {
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		return nil, nil, err
	}
	props := map[string]string{"connector.name": "bench", "s3.bucket.name": bucket, "s3.region": "us-east-1",
		"flush.size": "100000", "value.converter.schemas.enable": "false"}
	for k, v := range extra {
		props[k] = v
	}
	c, err := s3sink.Spec().Parse(props)
	if err != nil {
		return nil, nil, err
	}
	scfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		return nil, nil, err
	}
	s, err := s3sink.New(scfg, srv.client)
	if err != nil {
		return nil, nil, err
	}
	store, err := offsets.NewFileStore("")
	if err != nil {
		return nil, nil, err
	}
	h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), sink.WithMetricsTo(io.Discard))
	return h, store, err
}

func emptyBucket(ctx context.Context, client *s3.Client, bucket string) error {
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		return err
	}
	for _, o := range out.Contents {
		if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key}); err != nil {
			return err
		}
	}
	return nil
}
