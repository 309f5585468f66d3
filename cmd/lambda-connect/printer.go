package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// printer writes dev's output as text for people or, with --output json, as JSON: the summary as
// one JSON document, then (without --once) one JSON object a line per event, each with an
// "event" field.
type printer struct {
	w    io.Writer
	json bool
}

func newPrinter(w io.Writer, output string) printer { return printer{w: w, json: output == "json"} }

func (p printer) emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.w, "%s\n", b)
	return err
}

// report prints the summary of the first pass.
func (p printer) report(r devReport) error {
	if p.json {
		enc := json.NewEncoder(p.w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if r.Table != nil {
		_, err := io.WriteString(p.w, dynamoText(r, false))
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lambda-connect dev: %s through the S3 sink in %s (batch size %d), %.1fs\n\n",
		plural(r.Delivered, "record", "records"), plural(r.Invocations, "invocation", "invocations"), r.BatchSize, float64(r.ElapsedMs)/1000)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Kafka\t%s\t(kfake, in memory)\n", r.Broker)
	fmt.Fprintf(tw, "  S3\t%s\t(gofakes3, in memory), bucket %s\n", r.S3Endpoint, r.Bucket)
	fmt.Fprintf(tw, "  offsets\t%s\t(connector %s)\n", r.OffsetsFile, r.Connector)
	fmt.Fprintf(tw, "  log\t%s\t(the handler's JSON logs and metrics)\n", r.LogFile)
	tw.Flush()
	b.WriteString("\nS3 sink settings (as CONNECT_* variables would set them):\n")
	for _, kv := range settingsLines(r.Settings) {
		fmt.Fprintf(&b, "  %s\n", kv)
	}

	var topics []string
	for _, t := range sandboxTopics {
		topics = append(topics, fmt.Sprintf("%s (%d partitions)", t.name, t.partitions))
	}
	fmt.Fprintf(&b, "\nProduced %d sample records to %s", r.Produced, strings.Join(topics, " and "))
	if r.Tombstones > 0 {
		fmt.Fprintf(&b, ", %s among them:\nbehavior.on.null.values=ignore skips tombstones; the default, fail, would stop the batch", plural(r.Tombstones, "tombstone (null value)", "tombstones (null values)"))
	}
	b.WriteString(".\n\n")
	if r.Source != nil {
		b.WriteString(sourceSection(r.Source) + "\n")
	}

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tLOG END\tCOMMITTED\tOFFSETS\tRECORDS\tOBJECT")
	var skipped []string
	for _, pr := range r.Partitions {
		head := fmt.Sprintf("%s-%d\t%d\t%s", pr.Topic, pr.Partition, pr.LogEnd, committedText(pr.Committed))
		if len(pr.Objects) == 0 {
			fmt.Fprintf(tw, "%s\t-\t0\t-\n", head)
		}
		for i, o := range pr.Objects {
			if i > 0 {
				head = "\t\t"
			}
			fmt.Fprintf(tw, "%s\t%d-%d\t%d\t%s\n", head, o.FirstOffset, o.LastOffset, o.Records, o.URL)
		}
		if pr.Tombstones > 0 {
			skipped = append(skipped, fmt.Sprintf("%s-%d (%d)", pr.Topic, pr.Partition, pr.Tombstones))
		}
	}
	tw.Flush()
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "Tombstones skipped: %s.\n", strings.Join(skipped, ", "))
	}
	fmt.Fprintf(&b, "\n%s in %s = %d delivered - %d skipped; ",
		plural(r.Written, "record", "records"), plural(r.Objects, "object", "objects"), r.Delivered, r.Skipped)
	if r.checkS3() == nil {
		b.WriteString("every partition is committed up to its log end.\n")
	} else {
		b.WriteString("NOT every record is where it should be (see below).\n")
	}
	if r.Sink == sinkAll {
		b.WriteString("\n")
		if r.DynamoDB != nil {
			b.WriteString(dynamoText(*r.DynamoDB, true))
		} else {
			fmt.Fprintf(&b, "DynamoDB sink: left out of this run, DynamoDB Local did not start: %s\n", r.DynamoDBSkipped)
		}
		b.WriteString("\n" + movedText(r))
	}
	if r.Avro != nil {
		b.WriteString(avroText(r.Avro))
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

// movedText sums up a --sink all pass: what moved where, from the dropped objects to the sinks.
func movedText(r devReport) string {
	var b strings.Builder
	b.WriteString("What moved where:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if src := r.Source; src != nil {
		lines := 0
		for _, o := range src.Objects {
			lines += o.Lines
		}
		fmt.Fprintf(tw, "  S3 source\t%s, %s -> %s in %s\n", plural(len(src.Objects), "object", "objects"), plural(lines, "line", "lines"),
			plural(src.InKafka, "record", "records"), src.Topic)
	}
	perTopic := map[string]int64{}
	for _, p := range r.Partitions {
		perTopic[p.Topic] += p.LogEnd
	}
	var kafka []string
	for _, t := range sandboxTopics {
		kafka = append(kafka, fmt.Sprintf("%s %d", t.name, perTopic[t.name]))
	}
	fmt.Fprintf(tw, "  Kafka\trecords: %s (sample records and the S3 source's)\n", strings.Join(kafka, ", "))
	fmt.Fprintf(tw, "  S3 sink\t%s -> %s in %s in s3://%s (%d tombstone skipped)\n", plural(r.Delivered, "record", "records"),
		plural(r.Written, "record", "records"), plural(r.Objects, "object", "objects"), r.Bucket, r.Skipped)
	if d := r.DynamoDB; d != nil {
		fmt.Fprintf(tw, "  DynamoDB sink\t%s of %s -> %s in table %s (%d tombstone skipped)\n", plural(d.Delivered, "record", "records"),
			topicNames(dynamoTopics), plural(d.Table.Items, "item", "items"), d.Table.Name, d.Skipped)
	} else {
		fmt.Fprintf(tw, "  DynamoDB sink\tleft out (DynamoDB Local did not start)\n")
	}
	tw.Flush()
	if src := r.Source; src != nil {
		for _, o := range src.Objects {
			var where []string
			for _, c := range []*sinkCopies{o.InS3, o.InDynamoDB} {
				if c == nil {
					continue
				}
				w := fmt.Sprintf("%d in the %s's output", c.Found, sinkTitle(c.Sink))
				if c.Duplicates > 0 {
					w += fmt.Sprintf(" (%d DUPLICATES)", c.Duplicates)
				}
				where = append(where, w)
			}
			verdict := "each exactly once"
			if src.check() != nil {
				verdict = "NOT each exactly once"
			}
			fmt.Fprintf(&b, "The %d lines of %s: %s: %s.\n", o.Lines, o.URL, strings.Join(where, ", "), verdict)
		}
	}
	return b.String()
}

func committedText(next int64) string {
	if next < 0 {
		return "-"
	}
	return fmt.Sprint(next)
}

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// settingsLines formats the connector's settings as key=value, sorted.
func settingsLines(m map[string]string) []string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return kv
}

// running tells how to reach the sandbox while it keeps running.
func (p printer) running(r devReport, poll time.Duration) error {
	kcatList := fmt.Sprintf("kcat -b %s -L", r.Broker)
	kcatProduce := fmt.Sprintf("kcat -b %s -P -t %s", r.Broker, sandboxTopics[0].name)
	example := `{"order_id":"o-99999","amount":1.5}`
	if r.DynamoDB != nil { // the DynamoDB sink needs the key (the customer) and an order_id
		kcatProduce += " -K:"
		example = `customer-3:{"order_id":"o-99999","customer":"customer-3","amount":1.5}`
	}
	awsLs := fmt.Sprintf("aws s3 ls --endpoint-url %s s3://%s --recursive --no-sign-request", r.S3Endpoint, r.Bucket)
	if r.Table != nil {
		return p.runningDynamo(r, poll, kcatList)
	}
	if p.json {
		ev := map[string]any{
			"event": "running", "broker": r.Broker, "s3_endpoint": r.S3Endpoint, "bucket": r.Bucket,
			"poll_interval_ms": poll.Milliseconds(),
			"commands":         []string{kcatList, kcatProduce, awsLs},
		}
		if d := r.DynamoDB; d != nil {
			ev["dynamodb_endpoint"], ev["table"] = d.Table.Endpoint, d.Table.Name
			ev["commands"] = []string{kcatList, kcatProduce, awsLs, dynamoScan(d.Table)}
		}
		if r.Avro != nil {
			ev["schema_registry"] = r.Avro.RegistryURL
			ev["commands"] = append(ev["commands"].([]string), registryCurl(r.Avro))
		}
		return p.emit(ev)
	}
	_, err := fmt.Fprintf(p.w, `
The sandbox keeps running. Kafka is at %s, S3 at %s:
  %s
  echo '%s' | %s
  %s
Polling %s every %v; new records go through the S3 sink. Ctrl-C stops.
`, r.Broker, r.S3Endpoint, kcatList, example, kcatProduce, awsLs, topicNames(sandboxTopics), poll)
	if err == nil && r.Avro != nil {
		_, err = fmt.Fprintf(p.w, "The schema registry of the Avro lane is at %s (its Avro lane ran once, at start):\n  %s\n",
			r.Avro.RegistryURL, registryCurl(r.Avro))
	}
	if err != nil || r.DynamoDB == nil {
		return err
	}
	t := r.DynamoDB.Table
	_, err = fmt.Fprintf(p.w, "The records of %s go through the DynamoDB sink too, to table %s of DynamoDB Local at %s:\n  %s\n",
		topicNames(dynamoTopics), t.Name, t.Endpoint, dynamoScan(t))
	return err
}

func topicNames(topics []sandboxTopic) string {
	var names []string
	for _, t := range topics {
		names = append(names, t.name)
	}
	return strings.Join(names, " and ")
}

// delivered prints the objects of r that are not in seen, and adds them to seen.
func (p printer) delivered(r devReport, seen map[string]bool) {
	now := time.Now().Format("15:04:05")
	p.sourced(r.Source, seen, now)
	if r.Table != nil {
		p.deliveredDynamo(r, seen, now)
		return
	}
	if r.DynamoDB != nil {
		defer p.deliveredDynamo(*r.DynamoDB, seen, now)
	}
	for _, pr := range r.Partitions {
		for _, o := range pr.Objects {
			if seen[o.Key] {
				continue
			}
			seen[o.Key] = true
			if p.json {
				_ = p.emit(map[string]any{
					"event": "delivered", "sink": sinkS3, "topic": pr.Topic, "partition": pr.Partition,
					"first_offset": o.FirstOffset, "last_offset": o.LastOffset, "records": o.Records,
					"url": o.URL, "committed": pr.Committed,
				})
				continue
			}
			fmt.Fprintf(p.w, "%s %s-%d offsets %d-%d: %d records -> %s (committed up to %d)\n",
				now, pr.Topic, pr.Partition, o.FirstOffset, o.LastOffset, o.Records, o.URL, pr.Committed)
		}
	}
}

// pollError reports a failed delivery; it is retried at the next poll.
func (p printer) pollError(err error, logPath string) {
	if p.json {
		_ = p.emit(map[string]any{"event": "error", "error": err.Error(), "log": logPath})
		return
	}
	fmt.Fprintf(p.w, "%s delivery failed, retrying at every poll as Lambda would: %v\n  (details in %s; a record the converter rejects blocks its partition until it expires, as with errors.tolerance=none)\n",
		time.Now().Format("15:04:05"), err, logPath)
}

// stopped reports a clean shutdown.
func (p printer) stopped() {
	if p.json {
		_ = p.emit(map[string]any{"event": "stopped"})
		return
	}
	fmt.Fprintln(p.w, "\nStopped: the broker, S3 (and DynamoDB Local) are gone; the offsets file and log stay in the data directory.")
}
