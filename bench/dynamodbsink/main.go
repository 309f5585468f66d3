// Command dynamodbsink measures the DynamoDB sink's write strategies against DynamoDB Local and
// prints items/s for a batch of 10,000 records of 1 KB JSON, each record its own item (distinct
// keys), next to bare loops of BatchWriteItem calls measured in the same run: the ceiling.
//
//	go run ./bench/dynamodbsink [-records 10000] [-runs 3]
//
// The sink cases run the whole handler (decode → JsonConverter → plan → write → offset commit in
// a local file store) on one event holding the batch, one partition, keyed by the record key so
// that every write is conditional: the ordering guarantee is kept. (Lambda caps an event at 6 MB,
// about 4,100 such records; one event of 10,000 is used here as the issue asks.) Each run writes
// to a fresh table, so every condition passes; the "replayed" row writes the same batch again
// over a full table, so that every condition fails (the cost of a redelivery). The ceilings write
// the same items, built off the clock, with unconditional BatchWriteItem calls of 25 items: one
// call at a time (the bare loop), and 16 at a time.
//
// DynamoDB Local is started (fetched on first use) unless AWS_ENDPOINT_URL_DYNAMODB names one.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

const (
	valueSize = 1024
	topic     = "orders"
)

func main() {
	n := flag.Int("records", 10000, "records in the batch (each its own item)")
	runs := flag.Int("runs", 3, "measured runs of each case (the median is printed)")
	only := flag.String("only", "", "run only the cases whose name contains this text (the bare loop always runs)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	caseFilter = *only
	if err := run(*n, *runs); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var caseFilter string

// order is one record's value; the bench builds its JSON and, for the ceilings, its item.
type order struct {
	id       int
	customer string
	amount   string
	items    []line
	note     string
}

type line struct {
	sku   string
	qty   int
	price string
}

func makeOrders(n int) []order {
	rng := rand.New(rand.NewPCG(1, 1))
	out := make([]order, n)
	for i := range out {
		o := order{id: i, customer: fmt.Sprintf("customer-%d", i%97), amount: fmt.Sprintf("%d.%02d", rng.IntN(10000), rng.IntN(100))}
		for len(o.json()) < valueSize-80 {
			o.items = append(o.items, line{fmt.Sprintf("SKU-%06d", rng.IntN(1000000)), 1 + rng.IntN(9), fmt.Sprintf("%d.%02d", rng.IntN(500), rng.IntN(100))})
		}
		o.note = strings.Repeat("x", max(0, valueSize-len(o.json())))
		out[i] = o
	}
	return out
}

func (o order) json() string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":%d,"customer":%q,"amount":%s,"currency":"EUR","items":[`, o.id, o.customer, o.amount)
	for j, l := range o.items {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":%q,"qty":%d,"price":%s}`, l.sku, l.qty, l.price)
	}
	fmt.Fprintf(&b, `],"note":%q}`, o.note)
	return b.String()
}

// item is the item the sink writes for an order (the ceilings write the same).
func (o order) item(offset int64) map[string]types.AttributeValue {
	lines := make([]types.AttributeValue, len(o.items))
	for i, l := range o.items {
		lines[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"sku": &types.AttributeValueMemberS{Value: l.sku}, "qty": &types.AttributeValueMemberN{Value: strconv.Itoa(l.qty)},
			"price": &types.AttributeValueMemberN{Value: l.price}}}
	}
	return map[string]types.AttributeValue{
		"key":              &types.AttributeValueMemberS{Value: key(o.id)},
		"id":               &types.AttributeValueMemberN{Value: strconv.Itoa(o.id)},
		"customer":         &types.AttributeValueMemberS{Value: o.customer},
		"amount":           &types.AttributeValueMemberN{Value: o.amount},
		"currency":         &types.AttributeValueMemberS{Value: "EUR"},
		"items":            &types.AttributeValueMemberL{Value: lines},
		"note":             &types.AttributeValueMemberS{Value: o.note},
		"_kafka_topic":     &types.AttributeValueMemberS{Value: topic},
		"_kafka_partition": &types.AttributeValueMemberN{Value: "0"},
		"_kafka_offset":    &types.AttributeValueMemberN{Value: strconv.FormatInt(offset, 10)},
	}
}

func key(id int) string { return fmt.Sprintf("order-%07d", id) }

type result struct {
	name  string
	items int
	wall  time.Duration
	cpu   time.Duration // this process's CPU time (user + system): the client's share
	note  string
}

// cpuTime returns this process's CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func run(n, runs int) error {
	ctx := context.Background()
	endpoint := os.Getenv(dynamolocal.EnvEndpoint)
	if endpoint == "" {
		inst, err := dynamolocal.Start(ctx, dynamolocal.Options{})
		if err != nil {
			return err
		}
		defer inst.Close()
		endpoint = inst.Endpoint()
	}
	// The sink's own client (as its function builds it), pointed at the emulator.
	client, err := dynamodbsink.NewClient(ctx, dynamodbsink.Config{Endpoint: endpoint, Region: dynamolocal.Region},
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(dynamolocal.AccessKeyID, dynamolocal.SecretAccessKey, "")))
	if err != nil {
		return err
	}
	orders := makeOrders(n)
	recs := make([]record.Record, n)
	for i, o := range orders {
		recs[i] = record.Record{Topic: topic, Partition: 0, Offset: int64(i), Timestamp: 1_700_000_000_000 + int64(i),
			TimestampType: record.CreateTime, Key: []byte(key(o.id)), Value: []byte(o.json())}
	}
	event := kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka", SourceARN: "arn:aws:kafka:eu-west-1:123456789012:cluster/bench/1",
		BootstrapServers: "b-1.bench:9098", Records: recs})
	fmt.Printf("DynamoDB Local at %s; batch: %d records of %d B JSON, one partition, distinct keys; event %.1f MB; GOMAXPROCS=%d; %d runs, medians\n\n",
		endpoint, n, len(recs[0].Value), float64(len(event))/(1<<20), runtime.GOMAXPROCS(0), runs)

	tables := 0
	newTable := func() (string, error) {
		tables++
		name := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano()%1e9, tables)
		_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("key"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("key"), KeyType: types.KeyTypeHash}}})
		return name, err
	}
	// Tables are dropped as soon as a case is done with them: DynamoDB Local keeps them in memory.
	drop := func(name string) {
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	}

	items := make([]map[string]types.AttributeValue, n)
	for i, o := range orders {
		items[i] = o.item(int64(i))
	}
	var results []result

	ceiling := func(name string, workers int) error {
		walls := make([]time.Duration, 0, runs)
		cpus := make([]time.Duration, 0, runs)
		for range runs + 1 { // the first run warms up
			table, err := newTable()
			if err != nil {
				return err
			}
			start, cpu := time.Now(), cpuTime()
			if err := batchLoop(ctx, client, table, items, workers); err != nil {
				return err
			}
			walls, cpus = append(walls, time.Since(start)), append(cpus, cpuTime()-cpu)
			drop(table)
		}
		results = append(results, result{name: name, items: n, wall: median(walls[1:]), cpu: median(cpus[1:]), note: "unconditional: no ordering guarantee"})
		return nil
	}
	if err := ceiling("ceiling: bare BatchWriteItem loop (25 items/call, 1 at a time)", 1); err != nil {
		return err
	}
	if strings.Contains("ceiling: BatchWriteItem, 16 calls at a time", caseFilter) {
		if err := ceiling("ceiling: BatchWriteItem, 16 calls at a time", 16); err != nil {
			return err
		}
	}

	sinkCase := func(name, strategy string, concurrency int, replay bool, note string) error {
		walls := make([]time.Duration, 0, runs)
		cpus := make([]time.Duration, 0, runs)
		for range runs + 1 {
			table, err := newTable()
			if err != nil {
				return err
			}
			h, err := newHandler(client, table, strategy, concurrency)
			if err != nil {
				return err
			}
			if replay { // fill the table first, off the clock, then replay with fresh offsets
				if _, err := h.Handle(ctx, bytes.Clone(event)); err != nil {
					return err
				}
				if h, err = newHandler(client, table, strategy, concurrency); err != nil {
					return err
				}
			}
			buf := bytes.Clone(event)
			start, cpu := time.Now(), cpuTime()
			res, err := h.Handle(ctx, buf)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			walls, cpus = append(walls, time.Since(start)), append(cpus, cpuTime()-cpu)
			if res.Partitions[0].Committed != int64(n) {
				return fmt.Errorf("%s: committed %d, want %d", name, res.Partitions[0].Committed, n)
			}
			if !replay {
				if err := checkCount(ctx, client, table, n); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			drop(table)
		}
		results = append(results, result{name: name, items: n, wall: median(walls[1:]), cpu: median(cpus[1:]), note: note})
		return nil
	}
	for _, c := range []struct {
		name, strategy string
		conc           int
		replay         bool
		note           string
	}{
		{"sink: conditional PutItem, 16 in flight (default)", dynamodbsink.StrategyConditional, 16, false, "ordered"},
		{"sink: conditional PutItem, 8 in flight", dynamodbsink.StrategyConditional, 8, false, "ordered"},
		{"sink: conditional PutItem, 32 in flight", dynamodbsink.StrategyConditional, 32, false, "ordered"},
		{"sink: conditional PutItem, 64 in flight", dynamodbsink.StrategyConditional, 64, false, "ordered"},
		{"sink: conditional PutItem, 16 in flight, replayed", dynamodbsink.StrategyConditional, 16, true, "ordered; every condition fails"},
		{"sink: TransactWriteItems (100 conditional), 16 in flight", dynamodbsink.StrategyTransact, 16, false, "ordered; 2× write units"},
		{"sink: TransactWriteItems (100 conditional), 4 in flight", dynamodbsink.StrategyTransact, 4, false, "ordered; 2× write units"},
		{"sink: BatchWriteItem, 16 in flight", dynamodbsink.StrategyBatch, 16, false, "unconditional: no ordering guarantee"},
	} {
		if !strings.Contains(c.name, caseFilter) {
			continue
		}
		if err := sinkCase(c.name, c.strategy, c.conc, c.replay, c.note); err != nil {
			return err
		}
	}

	ceil := float64(results[0].items) / results[0].wall.Seconds()
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "case\titems/s\t× bare loop\tclient CPU µs/item\t")
	for _, r := range results {
		ips := float64(r.items) / r.wall.Seconds()
		fmt.Fprintf(w, "%s\t%.0f\t%.2f×\t%.0f\t%s\n", r.name, ips, ips/ceil, float64(r.cpu.Microseconds())/float64(r.items), r.note)
	}
	return w.Flush()
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}

// batchLoop writes items with BatchWriteItem calls of 25, workers calls at a time, retrying
// unprocessed items.
func batchLoop(ctx context.Context, client *dynamodb.Client, table string, items []map[string]types.AttributeValue, workers int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(25) - 25)
				if start >= len(items) {
					return
				}
				reqs := make([]types.WriteRequest, 0, 25)
				for _, it := range items[start:min(start+25, len(items))] {
					reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
				}
				for len(reqs) > 0 {
					out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
					if err != nil {
						errs[w] = err
						return
					}
					reqs = out.UnprocessedItems[table]
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// newHandler builds the sink's handler as a Lambda cold start would, with a local offsets store.
func newHandler(client *dynamodb.Client, table, strategy string, concurrency int) (*sink.Handler, error) {
	c, err := dynamodbsink.Spec().Parse(map[string]string{
		"connector.name": "bench", "table.name.format": table,
		"aws.dynamodb.pk.hash": "key", "aws.dynamodb.pk.sort": "",
		"dynamodb.write.strategy": strategy, "dynamodb.write.concurrency": strconv.Itoa(concurrency),
		"value.converter.schemas.enable": "false",
	})
	if err != nil {
		return nil, err
	}
	cfg, err := dynamodbsink.ConfigFrom(c)
	if err != nil {
		return nil, err
	}
	s, err := dynamodbsink.New(cfg, client)
	if err != nil {
		return nil, err
	}
	store, err := offsets.NewFileStore("")
	if err != nil {
		return nil, err
	}
	kc, _ := converters.New("StringConverter", true, nil)
	vc, err := converters.New("JsonConverter", false, map[string]string{"schemas.enable": "false"})
	if err != nil {
		return nil, err
	}
	return sink.New(sink.Config{Connector: "bench", Sink: s, Store: store, KeyConverter: kc, ValueConverter: vc,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), MetricsTo: io.Discard})
}

func checkCount(ctx context.Context, client *dynamodb.Client, table string, want int) error {
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
	if err != nil {
		return err
	}
	got := int(out.Count)
	for out.LastEvaluatedKey != nil {
		if out, err = client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, ExclusiveStartKey: out.LastEvaluatedKey}); err != nil {
			return err
		}
		got += int(out.Count)
	}
	if got != want {
		return fmt.Errorf("table %s holds %d items, want %d", table, got, want)
	}
	return nil
}
