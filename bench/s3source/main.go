// Command s3source measures the S3 source on a large JSON-lines object and compares it, in the
// same run and against the same broker, with kcat producing the same lines.
//
//	go run ./bench/s3source [-size 1GiB] [-record-bytes 512] [-partitions 6] [-compression none]
//	    [-runs 3] [-kcat=false] [-checkpoint-bytes N] [-checkpoint-records N] [-broker-stores]
//	    [-cpuprofile F] [-memprofile F] [-broker-cpuprofile F]
//
// The object (-size bytes of JSON lines of about -record-bytes each, generated into a temporary
// file that is removed at the end, never committed) is put into an S3 server; a kfake broker and
// that S3 server run in a child process, so that their memory and CPU are not counted as the
// source's. The broker acknowledges and counts the records without storing them (kfake's
// BlackholeProduce, meant for produce benchmarks: its in-memory log otherwise costs more CPU per
// GiB than either client, on the cores the clients run on, which a real cluster's brokers would
// not share); -broker-stores makes it store them. The source reads the object through the real handler (Source.Process: streaming
// reader, record building, JSON converter, provenance headers, checkpoints in an in-memory
// ledger, kafka-go producer with acks=all) and produces to one topic; then `kcat -P` (librdkafka,
// acks=all, its default batching) produces the same file's lines to another topic of the same
// broker. Each case prints MB/s and records/s (of the object), the client's CPU seconds per GiB
// (user + system: the benchmark process's own for the source, the kcat process's for kcat) and,
// for the source, the peak Go heap of the whole process (heap objects, live or not yet swept,
// sampled every 2 ms; the SDK clients and the handler's reused chunk buffers included). kcat is
// installed with apt-get when it is missing and the benchmark runs as root; otherwise the
// benchmark says how and measures the source alone.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/infra/kafkalocal"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// profilePath, memProfilePath and brokerProfilePath are -cpuprofile, -memprofile and
// -broker-cpuprofile.
var profilePath, memProfilePath, brokerProfilePath string

// kcatFirst, checkpointBytes and runs are -kcat-first, -checkpoint-bytes and -runs.
var (
	kcatFirst       bool
	checkpointBytes int64
	// checkpointRecords is -checkpoint-records.
	checkpointRecords int64
	runs              int
	// brokerStores is -broker-stores.
	brokerStores bool
)

// baseHeap is the source's heap before its run, after a collection (the handler's reused chunk
// buffers, the clients).
var baseHeap uint64

const (
	bucket      = "bench-landing"
	objectKey   = "incoming/bench.jsonl"
	sourceTopic = "bench-source"
	kcatTopic   = "bench-kcat"
)

func main() {
	size := flag.String("size", "1GiB", "object size: bytes, or with a KiB, MiB, GiB (or KB, MB, GB) suffix")
	recordBytes := flag.Int("record-bytes", 512, "approximate length of each JSON line, newline included")
	partitions := flag.Int("partitions", 6, "partitions of each topic")
	compression := flag.String("compression", "none", "producer compression.type for both clients: none, gzip, snappy, lz4, zstd")
	flag.IntVar(&runs, "runs", 3, "measured runs of each case (medians are printed); the order of the cases alternates")
	flag.Int64Var(&checkpointRecords, "checkpoint-records", 0, "the source's checkpoint.records (0: its default)")
	flag.Int64Var(&checkpointBytes, "checkpoint-bytes", 0, "the source's checkpoint.bytes (0: its default); the handler holds two chunks of this size")
	flag.BoolVar(&kcatFirst, "kcat-first", false, "run kcat before the source (the broker is then fresh for kcat rather than for the source)")
	useKcat := flag.Bool("kcat", true, "also run kcat -P on the same lines (installed with apt-get when missing and root)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the source's run to this file")
	flag.StringVar(&brokerProfilePath, "broker-cpuprofile", "", "write a CPU profile of the child process (broker and S3 server) over the whole benchmark to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the source's run to this file")
	flag.BoolVar(&brokerStores, "broker-stores", false, "let the broker store the records (by default it acknowledges and counts them, kfake's BlackholeProduce, so that its storage does not take the clients' CPU)")
	serve := flag.Bool("serve", false, "internal: run the broker and S3 server and print their addresses (the benchmark's child process)")
	flag.Parse()
	if *serve {
		if err := serveInfra(*partitions, brokerProfilePath); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	n, err := parseSize(*size)
	if err == nil && (*recordBytes < 64 || *recordBytes > 1<<20) {
		err = fmt.Errorf("-record-bytes %d: want 64 to 1048576", *recordBytes)
	}
	if err == nil && (*partitions < 1 || *partitions > 1000) {
		err = fmt.Errorf("-partitions %d: want 1 to 1000", *partitions)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	profilePath, memProfilePath = *cpuProfile, *memProfile
	if err := run(n, *recordBytes, *partitions, *compression, *useKcat); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseSize reads "1GiB", "64MB", "1000000".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("-size %q: want a positive size such as 1GiB or 64MiB", s)
	}
	return int64(f * float64(mult)), nil
}

// infra is what the child process serves.
type infra struct {
	Broker string `json:"broker"`
	S3     string `json:"s3"`
	pid    int    // the child process
}

// serveInfra runs kfake and an S3 server with the benchmark's bucket and topics, prints their
// addresses as one JSON line, and serves until its standard input closes.
func serveInfra(partitions int, profile string) error {
	ctx := context.Background()
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cl, err := kafkalocal.Start(ctx, kafkalocal.Options{Embedded: true, DiscardRecords: !brokerStores})
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, t := range []string{sourceTopic, kcatTopic} {
		if err := cl.CreateTopic(ctx, t, int32(partitions)); err != nil {
			return err
		}
	}
	srv, err := s3local.Start(s3local.Options{Buckets: []string{bucket}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := json.NewEncoder(os.Stdout).Encode(infra{Broker: cl.Bootstrap(), S3: srv.URL()}); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// startInfra starts the child process and returns its addresses and a function that stops it.
func startInfra(partitions int) (infra, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return infra{}, nil, err
	}
	cmd := exec.Command(exe, "-serve", "-partitions", strconv.Itoa(partitions), "-broker-cpuprofile", brokerProfilePath,
		"-broker-stores="+strconv.FormatBool(brokerStores))
	cmd.Stderr = os.Stderr
	// The broker keeps every record in memory (the object too): GOGC=400 keeps its garbage
	// collector from running often over gigabytes of live data, for both clients alike.
	cmd.Env = append(os.Environ(), "GOGC=400")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return infra{}, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return infra{}, nil, err
	}
	if err := cmd.Start(); err != nil {
		return infra{}, nil, err
	}
	stop := func() { _ = stdin.Close(); _ = cmd.Wait() }
	var in infra
	if err := json.NewDecoder(bufio.NewReader(stdout)).Decode(&in); err != nil {
		stop()
		return infra{}, nil, fmt.Errorf("reading the child's addresses: %w", err)
	}
	in.pid = cmd.Process.Pid
	return in, stop, nil
}

// writeObject writes JSON lines of about recordBytes each, up to size bytes, to a temporary file
// and returns it with the number of lines.
func writeObject(size int64, recordBytes int) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "lambda-connect-bench-*.jsonl")
	if err != nil {
		return nil, 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var written, lines int64
	var line []byte
	pad := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", recordBytes/36+1)
	for written < size {
		line = line[:0]
		line = fmt.Appendf(line, `{"seq":%d,"customer":"customer-%d","ts":"2026-03-01T12:%02d:%02d.%03dZ","amount":%d.%02d,"currency":"EUR","note":"`,
			lines, lines%997, (lines/60000)%60, (lines/1000)%60, lines%1000, lines%5000, lines%100)
		if n := recordBytes - len(line) - 3; n > 0 {
			line = append(line, pad[int(lines%36):int(lines%36)+n]...)
		}
		line = append(line, "\"}\n"...)
		if _, err := w.Write(line); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, 0, err
		}
		written += int64(len(line))
		lines++
	}
	if err := w.Flush(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, lines, nil
}

// result is one measured case.
type result struct {
	name     string
	wall     time.Duration
	cpu      time.Duration
	peakHeap uint64        // 0: not measured
	broker   time.Duration // the broker's CPU time during the case
	records  int64
	bytes    int64
}

func (r result) mbps() float64 { return float64(r.bytes) / (1 << 20) / r.wall.Seconds() }

func (r result) cpuPerGiB() float64 { return r.cpu.Seconds() / (float64(r.bytes) / (1 << 30)) }

// median returns the median of each measure of rs (which measure the same case).
func median(rs []result) result {
	pick := func(f func(result) float64) int {
		idx := make([]int, len(rs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(f(rs[a]), f(rs[b])) })
		return idx[len(idx)/2]
	}
	out := rs[0]
	out.wall = rs[pick(func(r result) float64 { return r.wall.Seconds() })].wall
	out.cpu = rs[pick(func(r result) float64 { return r.cpu.Seconds() })].cpu
	out.peakHeap = rs[pick(func(r result) float64 { return float64(r.peakHeap) })].peakHeap
	out.broker = rs[pick(func(r result) float64 { return r.broker.Seconds() })].broker
	return out
}

func run(size int64, recordBytes, partitions int, compression string, useKcat bool) error {
	ctx := context.Background()
	fmt.Printf("generating %.0f MiB of JSON lines (~%d bytes each)...\n", float64(size)/(1<<20), recordBytes)
	f, lines, err := writeObject(size, recordBytes)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	objBytes := st.Size()

	in, stop, err := startInfra(partitions)
	if err != nil {
		return err
	}
	defer stop()
	s3c := s3.New(s3.Options{
		Region:                     s3local.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s3local.AccessKeyID, s3local.SecretAccessKey, ""),
		BaseEndpoint:               aws.String(in.S3),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(objectKey), Body: f, ContentLength: aws.Int64(objBytes)})
	if err != nil {
		return fmt.Errorf("putting the object: %w", err)
	}
	obj := trigger.Object{Bucket: bucket, Key: objectKey, ETag: strings.Trim(aws.ToString(put.ETag), `"`), VersionID: aws.ToString(put.VersionId), Size: objBytes}
	storage := "acknowledging and counting records without storing them (-broker-stores: storing them)"
	if brokerStores {
		storage = "storing records"
	}
	fmt.Printf("object s3://%s/%s: %d bytes, %d lines; broker %s, %s; topics of %d partitions\n\n", bucket, objectKey, objBytes, lines, in.Broker, storage, partitions)

	// Each case's topic is checked, then deleted, so that the next case finds the broker as empty
	// as the first did.
	runSource := func() (result, error) {
		b0 := processCPU(in.pid)
		r, err := measureSource(ctx, in, s3c, obj, compression)
		if err != nil {
			return r, err
		}
		r.broker = processCPU(in.pid) - b0
		r.records, r.bytes = lines, objBytes
		if err := checkTopic(ctx, in.Broker, sourceTopic, lines); err != nil {
			return r, err
		}
		return r, deleteTopic(ctx, in.Broker, sourceTopic)
	}
	runKcat := func(bin string) (result, error) {
		b0 := processCPU(in.pid)
		r, err := measureKcat(ctx, bin, in.Broker, f, compression)
		if err != nil {
			return r, err
		}
		r.broker = processCPU(in.pid) - b0
		r.records, r.bytes = lines, objBytes
		if err := checkTopic(ctx, in.Broker, kcatTopic, lines); err != nil {
			return r, err
		}
		return r, deleteTopic(ctx, in.Broker, kcatTopic)
	}
	kcatBin := ""
	if useKcat {
		var why string
		if kcatBin, why = kcatBinary(); kcatBin == "" {
			fmt.Printf("kcat not measured: %s\n\n", why)
		}
	}
	// Each run measures both cases on fresh topics; the order alternates from run to run (the
	// first case of a run finds the broker's process a little fresher).
	var srcRuns, kcatRuns []result
	for run := range runs {
		if run > 0 {
			topics := []string{sourceTopic}
			if kcatBin != "" {
				topics = append(topics, kcatTopic)
			}
			for _, t := range topics {
				if err := createTopic(ctx, in.Broker, t, partitions); err != nil {
					return err
				}
			}
		}
		kcatNow := kcatBin != "" && (run%2 == 1) != kcatFirst
		if kcatNow {
			r, err := runKcat(kcatBin)
			if err != nil {
				return err
			}
			kcatRuns = append(kcatRuns, r)
		}
		r, err := runSource()
		if err != nil {
			return err
		}
		srcRuns = append(srcRuns, r)
		if kcatBin != "" && !kcatNow {
			r, err := runKcat(kcatBin)
			if err != nil {
				return err
			}
			kcatRuns = append(kcatRuns, r)
		}
		if runs > 1 {
			fmt.Printf("run %d: source %.1f MB/s, %.2f CPU s/GiB, peak heap %.1f MiB", run+1, r.mbps(), r.cpuPerGiB(), float64(r.peakHeap)/(1<<20))
			if len(kcatRuns) > 0 {
				k := kcatRuns[len(kcatRuns)-1]
				fmt.Printf("; kcat %.1f MB/s, %.2f CPU s/GiB", k.mbps(), k.cpuPerGiB())
			}
			fmt.Println()
		}
	}
	src := median(srcRuns)
	results := []result{src}
	var kc *result
	if len(kcatRuns) > 0 {
		k := median(kcatRuns)
		kc = &k
		results = append(results, k)
	}
	if runs > 1 {
		fmt.Printf("\nmedians of %d runs:\n", runs)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tMB/s\trecords/s\tCPU s/GiB\tpeak heap MiB\twall s\tbroker CPU s/GiB\t")
	for _, r := range results {
		heap := "-"
		if r.peakHeap > 0 {
			heap = fmt.Sprintf("%.1f", float64(r.peakHeap)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t%.2f\t%s\t%.1f\t%.2f\t\n", r.name, r.mbps(), float64(r.records)/r.wall.Seconds(),
			r.cpu.Seconds()/(float64(r.bytes)/(1<<30)), heap, r.wall.Seconds(), r.broker.Seconds()/(float64(r.bytes)/(1<<30)))
	}
	tw.Flush()
	fmt.Println()
	cpuPerGiB := src.cpuPerGiB()
	fmt.Printf("source heap before the run: %.1f MiB (after a collection: the clients and the handler's two reused chunk buffers)\n", float64(baseHeap)/(1<<20))
	fmt.Printf("goals: CPU %.2f s/GiB (<= 4: %s), peak heap %.1f MiB (< 64: %s)", cpuPerGiB, verdict(cpuPerGiB <= 4),
		float64(src.peakHeap)/(1<<20), verdict(src.peakHeap < 64<<20))
	if kc != nil {
		ratio := src.mbps() / kc.mbps()
		fmt.Printf(", throughput %.2fx kcat's (>= 1.5: %s)", ratio, verdict(ratio >= 1.5))
	}
	fmt.Println()
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// measureSource runs the S3 source's handler on the object once, warm (the producer's
// connections and the topic's metadata are set up by a first, tiny object).
func measureSource(ctx context.Context, in infra, s3c *s3.Client, obj trigger.Object, compression string) (result, error) {
	props := map[string]string{
		"connector.name": "bench-s3-source", "bootstrap.servers": in.Broker, "topic": sourceTopic, "input.format": "jsonl",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
		"checkpoints.table": "bench (in memory)", "compression.type": compression,
	}
	if checkpointBytes > 0 {
		props["checkpoint.bytes"] = strconv.FormatInt(checkpointBytes, 10)
	}
	if checkpointRecords > 0 {
		props["checkpoint.records"] = strconv.FormatInt(checkpointRecords, 10)
	}
	c, err := s3source.Spec().Parse(props)
	if err != nil {
		return result{}, err
	}
	return measureWith(ctx, c, s3c, obj)
}

func measureWith(ctx context.Context, c *config.Config, s3c *s3.Client, obj trigger.Object) (result, error) {
	cfg, pcfg, err := s3source.ConfigFrom(c)
	if err != nil {
		return result{}, err
	}
	p, err := producer.New(pcfg)
	if err != nil {
		return result{}, err
	}
	defer p.Close()
	src, err := s3source.New(cfg, s3source.Deps{S3: s3c, Producer: p, Ledger: checkpoints.NewMemoryStore(nil)})
	if err != nil {
		return result{}, err
	}
	// Warm up: a small object through the same handler.
	warm := "incoming/warm.jsonl"
	wput, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(warm), Body: strings.NewReader("{\"seq\":-1}\n")})
	if err != nil {
		return result{}, err
	}
	if _, err := src.Process(ctx, trigger.Object{Bucket: bucket, Key: warm, ETag: strings.Trim(aws.ToString(wput.ETag), `"`)}); err != nil {
		return result{}, fmt.Errorf("warm-up: %w", err)
	}

	runtime.GC()
	baseHeap = heapBytes()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	if profilePath != "" {
		pf, err := os.Create(profilePath)
		if err != nil {
			return result{}, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := selfCPU()
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, 15*time.Minute) // Lambda's longest invocation
	res, err := src.Process(pctx, obj)
	cancel()
	wall := time.Since(start)
	cpu := selfCPU() - cpu0
	close(done)
	wg.Wait()
	if err != nil {
		return result{}, fmt.Errorf("source: %w", err)
	}
	if memProfilePath != "" {
		mf, err := os.Create(memProfilePath)
		if err != nil {
			return result{}, err
		}
		defer mf.Close()
		runtime.GC() // the profile shows allocations up to the last collection
		if err := pprof.Lookup("allocs").WriteTo(mf, 0); err != nil {
			return result{}, err
		}
	}
	if !res.Complete {
		return result{}, fmt.Errorf("source: object not complete: %+v", res)
	}
	if p.InFlight() != 0 {
		return result{}, errors.New("source: a produce request is still in flight after Process returned")
	}
	return result{name: "s3 source (kafka-go)", wall: wall, cpu: cpu, peakHeap: peak.Load()}, nil
}

// heapBytes is the heap's object bytes (live and not yet swept), read without stopping the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// selfCPU is this process's user and system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kcatBinary finds kcat, installing Debian's package when missing and root; it returns "" and
// why when there is none.
func kcatBinary() (string, string) {
	if p, err := exec.LookPath("kcat"); err == nil {
		return p, ""
	}
	if os.Geteuid() != 0 {
		return "", "kcat is not installed; install it with `sudo apt-get install -y kcat` and run again"
	}
	fmt.Println("kcat missing: apt-get install -y kcat ...")
	install := func() error {
		cmd := exec.Command("apt-get", "install", "-y", "kcat")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, lastLines(out, 3))
		}
		return nil
	}
	if err := install(); err != nil {
		if out, uerr := exec.Command("apt-get", "update").CombinedOutput(); uerr != nil {
			return "", fmt.Sprintf("apt-get update failed (%v: %s)", uerr, lastLines(out, 3))
		}
		if err := install(); err != nil {
			return "", fmt.Sprintf("apt-get install -y kcat failed: %v", err)
		}
	}
	p, err := exec.LookPath("kcat")
	if err != nil {
		return "", "kcat still not on PATH after apt-get install"
	}
	return p, ""
}

func lastLines(b []byte, n int) string {
	ls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " / ")
}

// measureKcat runs kcat -P on the object's lines (the same file) with acks=all, and measures its
// wall time and its process's CPU time.
func measureKcat(ctx context.Context, bin, broker string, f *os.File, compression string) (result, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return result{}, err
	}
	args := []string{"-P", "-b", broker, "-t", kcatTopic, "-X", "acks=all", "-X", "compression.codec=" + compression}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("kcat %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	var cpu time.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return result{name: "kcat -P (librdkafka)", wall: wall, cpu: cpu}, nil
}

// checkTopic checks that topic holds exactly want records.
func checkTopic(ctx context.Context, broker, topic string, want int64) error {
	ends, err := kafkalocal.EndOffsets(ctx, strings.Split(broker, ","), topic)
	if err != nil {
		return err
	}
	var n int64
	for _, e := range ends {
		n += e
	}
	if topic == sourceTopic {
		n-- // the warm-up object's record
	}
	if n != want {
		return fmt.Errorf("topic %s holds %d records, want %d", topic, n, want)
	}
	return nil
}

// deleteTopic deletes topic, releasing what the broker holds of it.
func deleteTopic(ctx context.Context, broker, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(broker, ",")...))
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteTopicsRequest()
	t := kmsg.NewDeleteTopicsRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	req.TopicNames = []string{topic}
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("deleting topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("deleting topic %s: %w", topic, err)
		}
	}
	return nil
}

// processCPU is the user and system CPU time of process pid so far (from /proc; 0 where there
// is none).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces, inside parentheses): utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100)
}

// createTopic creates topic with the given number of partitions.
func createTopic(ctx context.Context, broker, topic string, partitions int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(broker, ",")...))
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = topic, int32(partitions), 1
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("creating topic %s: %w", topic, err)
		}
	}
	return nil
}
