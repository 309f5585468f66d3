package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// offsetStore is what the offsets command uses of a store: DynamoStore and FileStore.
type offsetStore interface {
	List(ctx context.Context, connector string) ([]offsets.State, error)
	Reset(ctx context.Context, k offsets.Key, next int64, force bool) error
}

// storeFlags name the offsets store: a DynamoDB table (as the function uses) or a local file.
type storeFlags struct {
	connector string
	table     string
	file      string
	endpoint  string
	region    string
}

func (s *storeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&s.connector, "connector", "", "the connector's name (connector.name); default: $"+config.EnvName(sink.KeyConnectorName))
	fs.StringVar(&s.table, "table", "", "the DynamoDB offsets table (offsets.table); default: $"+config.EnvName(sink.KeyOffsetsTable))
	fs.StringVar(&s.file, "file", "", "a local offsets file (dev's, or run --offsets-file) instead of a table")
	fs.StringVar(&s.endpoint, "endpoint-url", "", "DynamoDB endpoint (DynamoDB Local); default: $AWS_ENDPOINT_URL_DYNAMODB, else AWS")
	fs.StringVar(&s.region, "region", "", "AWS region of the table; default: the AWS SDK's ($AWS_REGION, the profile)")
}

// resolve fills defaults from the environment and checks the flags.
func (s *storeFlags) resolve(getenv func(string) string) []error {
	if s.connector == "" {
		s.connector = getenv(config.EnvName(sink.KeyConnectorName))
	}
	if s.table == "" && s.file == "" {
		s.table = getenv(config.EnvName(sink.KeyOffsetsTable))
	}
	var errs []error
	if s.connector == "" {
		errs = append(errs, fmt.Errorf("--connector is required (or set %s)", config.EnvName(sink.KeyConnectorName)))
	}
	switch {
	case s.table != "" && s.file != "":
		errs = append(errs, errors.New("--table and --file name two stores: give one"))
	case s.table == "" && s.file == "":
		errs = append(errs, fmt.Errorf("--table is required (or set %s), or --file for a local offsets file", config.EnvName(sink.KeyOffsetsTable)))
	}
	return errs
}

// describe names the store for messages.
func (s *storeFlags) describe() string {
	if s.file != "" {
		return "offsets file " + s.file
	}
	return "table " + s.table
}

// open opens the store. A DynamoDB table is reached with the AWS SDK's standard configuration,
// from the process environment as the SDK reads it; with an endpoint override (DynamoDB Local)
// and no AWS_ACCESS_KEY_ID, dummy credentials are used, as DynamoDB Local accepts any.
func (s *storeFlags) open(ctx context.Context) (offsetStore, error) {
	if s.file != "" {
		if _, err := os.Stat(s.file); err != nil {
			return nil, errclass.Config("--file", "%s does not exist", s.file)
		}
		return offsets.NewFileStore(s.file)
	}
	endpoint := s.endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	}
	var opts []func(*awsconfig.LoadOptions) error
	if s.region != "" {
		opts = append(opts, awsconfig.WithRegion(s.region))
	}
	if endpoint != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "AWS configuration", err)
	}
	if cfg.Region == "" {
		if endpoint == "" {
			return nil, errclass.Config("AWS configuration", "no region: set AWS_REGION or --region")
		}
		cfg.Region = "us-east-1" // any region does for DynamoDB Local
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if s.endpoint != "" {
			o.BaseEndpoint = aws.String(s.endpoint)
		}
		if endpoint != "" {
			o.DisableValidateResponseChecksum = true // DynamoDB Local's error responses carry a wrong CRC32
		}
	})
	return offsets.NewDynamoStore(offsets.DynamoConfig{Client: client, Table: s.table})
}

const offsetsDescription = `Lists or resets the offsets a sink connector committed in its offsets table: per topic and
partition, the next offset the connector writes. Lambda's event-source mapping has no offsets
API; this is it.

  offsets list   the committed offsets, leases and pending writes, and with --bootstrap-servers
                 the log start and end of each partition and the lag
  offsets reset  moves them, as kafka-consumer-groups --reset-offsets does (--dry-run shows the
                 plan, --execute applies it), and says what the event-source mapping needs

Run 'lambda-connect offsets list --help' or 'lambda-connect offsets reset --help' for the flags.`

func runOffsets(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, "Usage: %s offsets list|reset [flags]\n\n%s\n", prog, offsetsDescription)
		fmt.Fprintf(e.stderr, "\n%s offsets: no subcommand given: try '%s offsets list --connector NAME --table TABLE'\n", prog, prog)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return runOffsetsList(ctx, e, args[1:])
	case "reset":
		return runOffsetsReset(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.stdout, "Usage: %s offsets list|reset [flags]\n\n%s\n", prog, offsetsDescription)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "%s offsets: unknown subcommand %q: want list or reset\nRun '%s offsets --help'.\n", prog, args[0], prog)
		return exitUsage
	}
}

// partitionOffsets is one partition of offsets list and reset.
type partitionOffsets struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the next offset the connector writes; -1 when nothing was committed.
	Committed int64 `json:"committed"`
	// LogStart, LogEnd and Lag are known with --bootstrap-servers.
	LogStart *int64 `json:"log_start,omitempty"`
	LogEnd   *int64 `json:"log_end,omitempty"`
	Lag      *int64 `json:"lag,omitempty"`
	// LeaseOwner and LeaseUntil describe an unexpired lease: an invocation at work.
	LeaseOwner string     `json:"lease_owner,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
	Pending    []string   `json:"pending,omitempty"`
	Updated    *time.Time `json:"updated,omitempty"`
}

// lagOf is how many records of [start, end) are at or past committed.
func lagOf(committed, start, end int64) int64 {
	from := max(committed, start)
	return max(0, end-from)
}

type offsetsListReport struct {
	Connector  string             `json:"connector"`
	Store      string             `json:"store"`
	Brokers    string             `json:"brokers,omitempty"`
	Partitions []partitionOffsets `json:"partitions"`
	TotalLag   *int64             `json:"total_lag,omitempty"`
}

const offsetsListDescription = `Lists the offsets the connector committed in its offsets table, per topic and partition: the
next offset it writes (COMMITTED, - when none), the lease of an invocation at work and the
writes it announced (PENDING). With --bootstrap-servers it adds each partition's log start
and end offsets and the LAG: the records at or past the committed offset, which the connector
has not written yet (partitions of the topics that have no committed offset are listed too).`

func runOffsetsList(ctx context.Context, e *env, args []string) int {
	var (
		sf     storeFlags
		kf     kafkaFlags
		topic  string
		output string
	)
	fs := newFlagSet("offsets list", "", offsetsListDescription, e)
	sf.add(fs)
	kf.add(fs, " (optional: adds the log offsets and the lag)")
	fs.StringVar(&topic, "topic", "", "only this topic")
	fs.StringVar(&output, "output", outputText, "output: text or json")
	if code, done := parse(fs, args, e); done {
		return code
	}
	errs := sf.resolve(e.getenv)
	errs = append(errs, kf.validate(false, e.getenv)...)
	if err := checkOutput(output); err != nil {
		errs = append(errs, err)
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if len(errs) > 0 {
		return usageErr(e, "offsets list", errs...)
	}
	store, err := sf.open(ctx)
	if err != nil {
		return failed(e, "offsets list", err, storeHint(err))
	}
	states, err := store.List(ctx, sf.connector)
	if err != nil {
		return failed(e, "offsets list", err, storeHint(err))
	}
	rep := offsetsListReport{Connector: sf.connector, Store: sf.describe(), Brokers: kf.bootstrap}
	byTP := map[string]map[int32]*partitionOffsets{}
	var topics []string
	put := func(p partitionOffsets) {
		if byTP[p.Topic] == nil {
			byTP[p.Topic] = map[int32]*partitionOffsets{}
			topics = append(topics, p.Topic)
		}
		byTP[p.Topic][p.Partition] = &p
	}
	now := time.Now()
	for _, s := range states {
		if topic != "" && s.Topic != topic {
			continue
		}
		p := partitionOffsets{Topic: s.Topic, Partition: s.Partition, Committed: s.Next, Pending: s.Pending}
		if s.Owner != "" && !s.Until.Before(now) {
			until := s.Until.UTC()
			p.LeaseOwner, p.LeaseUntil = s.Owner, &until
		}
		if !s.Updated.IsZero() {
			u := s.Updated.UTC()
			p.Updated = &u
		}
		put(p)
	}
	if topic != "" && byTP[topic] == nil && kf.bootstrap != "" {
		topics = append(topics, topic)
		byTP[topic] = map[int32]*partitionOffsets{}
	}
	if kf.bootstrap != "" {
		b, err := dialBroker(ctx, &kf, e.getenv)
		if err != nil {
			return failed(e, "offsets list", err, "")
		}
		defer b.close()
		var total int64
		for _, t := range topics {
			parts, err := b.partitions(ctx, t)
			if err != nil {
				return failed(e, "offsets list", err, brokerHint)
			}
			start, end, err := b.bounds(ctx, t, parts)
			if err != nil {
				return failed(e, "offsets list", err, brokerHint)
			}
			for _, n := range parts {
				p := byTP[t][n]
				if p == nil {
					put(partitionOffsets{Topic: t, Partition: n, Committed: -1})
					p = byTP[t][n]
				}
				s, en := start[n], end[n]
				lag := lagOf(p.Committed, s, en)
				p.LogStart, p.LogEnd, p.Lag = &s, &en, &lag
				total += lag
			}
		}
		rep.TotalLag = &total
	}
	slices.Sort(topics)
	for _, t := range topics {
		for _, n := range sortedPartitions(byTP[t]) {
			rep.Partitions = append(rep.Partitions, *byTP[t][n])
		}
	}
	if output == outputJSON {
		if rep.Partitions == nil {
			rep.Partitions = []partitionOffsets{}
		}
		if err := writeJSON(e.stdout, rep); err != nil {
			return failed(e, "offsets list", err, "")
		}
		return exitOK
	}
	if len(rep.Partitions) == 0 {
		fmt.Fprintf(e.stderr, "No committed offsets for connector %q in %s%s.\nOffsets are kept per connector.name: check the name, and that the connector has run (its first commit creates them).\n",
			sf.connector, sf.describe(), map[bool]string{true: " for topic " + topic, false: ""}[topic != ""])
		return exitOK
	}
	fmt.Fprintf(e.stdout, "Connector %s, %s", sf.connector, sf.describe())
	if kf.bootstrap != "" {
		fmt.Fprintf(e.stdout, ", lag against brokers %s", kf.bootstrap)
	}
	fmt.Fprint(e.stdout, ":\n\n")
	var rows [][]string
	for _, p := range rep.Partitions {
		lease := "-"
		if p.LeaseOwner != "" {
			lease = "until " + p.LeaseUntil.Format(time.RFC3339) + " by " + p.LeaseOwner
		}
		updated := "-"
		if p.Updated != nil {
			updated = p.Updated.Format(time.RFC3339)
		}
		rows = append(rows, []string{p.Topic, strconv.Itoa(int(p.Partition)), offsetText(p.Committed),
			ptrText(p.LogStart), ptrText(p.LogEnd), ptrText(p.Lag), lease, strconv.Itoa(len(p.Pending)), updated})
	}
	if err := table(e.stdout, "TOPIC\tPARTITION\tCOMMITTED\tLOG START\tLOG END\tLAG\tLEASE\tPENDING\tUPDATED", rows); err != nil {
		return failed(e, "offsets list", err, "")
	}
	if rep.TotalLag != nil {
		fmt.Fprintf(e.stdout, "\nTotal lag: %s.\n", plural(int(*rep.TotalLag), "record", "records"))
	} else {
		fmt.Fprintf(e.stdout, "\nAdd --bootstrap-servers to see the log offsets and the lag.\n")
	}
	return exitOK
}

const brokerHint = "Check --bootstrap-servers (and --tls / --sasl-mechanism for MSK) and that the topic exists."

// storeHint says what to check when the store cannot be read or changed.
func storeHint(err error) string {
	if errclass.Of(err) == errclass.BadConfig {
		return "Check --table (the stack's OffsetsTable), --region and the AWS credentials, or --file."
	}
	return "The offsets store did not answer: check the network and the AWS credentials, then retry."
}

func sortedPartitions(m map[int32]*partitionOffsets) []int32 {
	var ps []int32
	for p := range m {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

func offsetText(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}

func ptrText(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

// resetTarget is where offsets reset moves the partitions.
type resetTarget struct {
	earliest, latest bool
	offset           int64 // --to-offset; -1 when not given
	datetime         string
	at               time.Time
}

// describe names the target as its flag.
func (t resetTarget) describe() string {
	switch {
	case t.earliest:
		return "--to-earliest"
	case t.latest:
		return "--to-latest"
	case t.datetime != "":
		return "--to-datetime " + t.datetime
	default:
		return "--to-offset " + strconv.FormatInt(t.offset, 10)
	}
}

// partitionReset is one partition of a reset plan.
type partitionReset struct {
	Partition int32 `json:"partition"`
	// Current is the committed offset before the reset (-1: none); New the offset after it.
	Current  int64  `json:"current"`
	New      int64  `json:"new"`
	LogStart *int64 `json:"log_start,omitempty"`
	LogEnd   *int64 `json:"log_end,omitempty"`
	// GroupOffset is the offset --consumer-group committed (the event-source mapping's position).
	GroupOffset *int64 `json:"group_offset,omitempty"`
	// Direction is "backward", "forward" or "unchanged".
	Direction string `json:"direction"`
	Note      string `json:"note,omitempty"`
	Applied   bool   `json:"applied"`
	Error     string `json:"error,omitempty"`
}

type offsetsResetReport struct {
	Connector  string           `json:"connector"`
	Store      string           `json:"store"`
	Topic      string           `json:"topic"`
	Target     string           `json:"target"`
	Execute    bool             `json:"execute"`
	Partitions []partitionReset `json:"partitions"`
	// MappingChange says whether the event-source mapping needs a new consumer group for the
	// reset to take effect; Advice says what to do, and why.
	MappingChange bool   `json:"mapping_change_needed"`
	Advice        string `json:"advice"`
}

const offsetsResetDescription = `Moves the connector's committed offsets of a topic (all its partitions, or --partition), as
kafka-consumer-groups --reset-offsets does: to the log start (--to-earliest), the log end
(--to-latest), an offset (--to-offset, kept within the log with --bootstrap-servers), or the
first record at or after a time (--to-datetime, RFC 3339; the log end when there is none).
--to-earliest, --to-latest and --to-datetime need --bootstrap-servers.

--dry-run (the default) prints the plan, current -> new per partition; --execute applies it.
A reset raises the partition's epoch and drops its lease, fencing an invocation at work;
while an unexpired lease is held it is refused, unless --force.

The event-source mapping's consumer group keeps its own position, which this does not move:
moving forward takes effect at the next invocation (the sink skips the records below the new
offset), but moving backward needs a new mapping with a new consumer group; the output says
what to do. --consumer-group (with --bootstrap-servers) compares with the mapping's group.`

func runOffsetsReset(ctx context.Context, e *env, args []string) int {
	var (
		sf                      storeFlags
		kf                      kafkaFlags
		topic, partitions       string
		group, output, datetime string
		target                  resetTarget
		dryRun, execute, force  bool
	)
	fs := newFlagSet("offsets reset", "", offsetsResetDescription, e)
	sf.add(fs)
	kf.add(fs, " (needed by --to-earliest, --to-latest and --to-datetime)")
	fs.StringVar(&topic, "topic", "", "the topic (required)")
	fs.StringVar(&partitions, "partition", "", "the partitions, comma-separated (default: every partition of the topic)")
	fs.BoolVar(&target.earliest, "to-earliest", false, "reset to each partition's log start offset")
	fs.BoolVar(&target.latest, "to-latest", false, "reset to each partition's log end offset (skip everything not yet written)")
	fs.Int64Var(&target.offset, "to-offset", -1, "reset to this offset")
	fs.StringVar(&datetime, "to-datetime", "", "reset to the first offset at or after this time (RFC 3339, e.g. 2024-06-10T12:00:00Z)")
	fs.BoolVar(&dryRun, "dry-run", false, "print the plan only (the default)")
	fs.BoolVar(&execute, "execute", false, "apply the plan")
	fs.BoolVar(&force, "force", false, "reset even while an invocation holds the partition's lease (it is fenced)")
	fs.StringVar(&group, "consumer-group", "", "the event-source mapping's consumer group, to compare with (needs --bootstrap-servers)")
	fs.StringVar(&output, "output", outputText, "output: text or json")
	if code, done := parse(fs, args, e); done {
		return code
	}
	target.datetime = datetime
	errs := sf.resolve(e.getenv)
	needBroker := target.earliest || target.latest || datetime != "" || group != ""
	errs = append(errs, kf.validate(false, e.getenv)...)
	if needBroker && kf.bootstrap == "" {
		errs = append(errs, errors.New("--bootstrap-servers is required with --to-earliest, --to-latest, --to-datetime and --consumer-group"))
	}
	if topic == "" {
		errs = append(errs, errors.New("--topic is required"))
	}
	n := 0
	for _, set := range []bool{target.earliest, target.latest, target.offset != -1, datetime != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, errors.New("give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime TIME"))
	}
	if target.offset < -1 {
		errs = append(errs, fmt.Errorf("--to-offset %d: want 0 or more", target.offset))
	}
	if datetime != "" {
		t, err := time.Parse(time.RFC3339Nano, datetime)
		if err != nil {
			errs = append(errs, fmt.Errorf("--to-datetime %q: want RFC 3339, e.g. 2024-06-10T12:00:00Z", datetime))
		}
		target.at = t
	}
	if dryRun && execute {
		errs = append(errs, errors.New("--dry-run and --execute: give one"))
	}
	parts, err := parsePartitions(partitions)
	if err != nil {
		errs = append(errs, err)
	}
	if err := checkOutput(output); err != nil {
		errs = append(errs, err)
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if len(errs) > 0 {
		return usageErr(e, "offsets reset", errs...)
	}

	store, err := sf.open(ctx)
	if err != nil {
		return failed(e, "offsets reset", err, storeHint(err))
	}
	states, err := store.List(ctx, sf.connector)
	if err != nil {
		return failed(e, "offsets reset", err, storeHint(err))
	}
	current := map[int32]int64{}
	for _, s := range states {
		if s.Topic == topic {
			current[s.Partition] = s.Next
		}
	}
	rep := offsetsResetReport{Connector: sf.connector, Store: sf.describe(), Topic: topic, Target: target.describe(), Execute: execute}
	var start, end, groupAt map[int32]int64
	if kf.bootstrap != "" {
		b, err := dialBroker(ctx, &kf, e.getenv)
		if err != nil {
			return failed(e, "offsets reset", err, "")
		}
		defer b.close()
		all, err := b.partitions(ctx, topic)
		if err != nil {
			return failed(e, "offsets reset", err, brokerHint)
		}
		for _, p := range parts {
			if !slices.Contains(all, p) {
				return failed(e, "offsets reset", errclass.Config("--partition", "topic %s has no partition %d (it has %d)", topic, p, len(all)), "")
			}
		}
		if parts == nil {
			parts = all
		}
		if start, end, err = b.bounds(ctx, topic, parts); err != nil {
			return failed(e, "offsets reset", err, brokerHint)
		}
		var at map[int32]int64
		if datetime != "" {
			if at, err = b.listOffsets(ctx, topic, parts, target.at.UnixMilli()); err != nil {
				return failed(e, "offsets reset", err, brokerHint)
			}
		}
		if group != "" {
			if groupAt, err = b.groupOffsets(ctx, group, topic); err != nil {
				return failed(e, "offsets reset", err, brokerHint)
			}
		}
		for _, p := range parts {
			pr := partitionReset{Partition: p, Current: -1}
			s, en := start[p], end[p]
			pr.LogStart, pr.LogEnd = &s, &en
			switch {
			case target.earliest:
				pr.New = s
			case target.latest:
				pr.New = en
			case datetime != "":
				pr.New = at[p]
				if pr.New < 0 {
					pr.New, pr.Note = en, "no record at or after that time: the log end"
				}
			default:
				pr.New = target.offset
				if pr.New < s {
					pr.New, pr.Note = s, fmt.Sprintf("%d is below the log start: the log start", target.offset)
				} else if pr.New > en {
					pr.New, pr.Note = en, fmt.Sprintf("%d is past the log end: the log end", target.offset)
				}
			}
			if g, ok := groupAt[p]; ok {
				pr.GroupOffset = &g
			}
			rep.Partitions = append(rep.Partitions, pr)
		}
	} else {
		if parts == nil {
			for p := range current {
				parts = append(parts, p)
			}
			slices.Sort(parts)
		}
		if len(parts) == 0 {
			return failed(e, "offsets reset", errclass.Config("topic "+topic, "connector %s has no committed offset for it in %s", sf.connector, sf.describe()),
				"Give --partition, or --bootstrap-servers to reset every partition of the topic.")
		}
		for _, p := range parts {
			rep.Partitions = append(rep.Partitions, partitionReset{Partition: p, Current: -1, New: target.offset})
		}
	}
	for i := range rep.Partitions {
		pr := &rep.Partitions[i]
		if c, ok := current[pr.Partition]; ok {
			pr.Current = c
		}
		switch {
		case pr.New == pr.Current:
			pr.Direction = "unchanged"
		case pr.Current >= 0 && pr.New < pr.Current:
			pr.Direction = "backward"
		default:
			pr.Direction = "forward"
		}
	}
	rep.MappingChange, rep.Advice = resetAdvice(rep, target, group)

	failures := 0
	if execute {
		for i := range rep.Partitions {
			pr := &rep.Partitions[i]
			if pr.Direction == "unchanged" {
				continue
			}
			k := offsets.Key{Connector: sf.connector, Topic: topic, Partition: pr.Partition}
			if err := store.Reset(ctx, k, pr.New, force); err != nil {
				failures++
				pr.Error = err.Error()
				if errors.Is(err, offsets.ErrLeaseHeld) {
					pr.Error += " (an invocation is at work on it: retry when it is done, disable the event-source mapping first, or --force to fence it)"
				}
				continue
			}
			pr.Applied = true
		}
	}
	if output == outputJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return failed(e, "offsets reset", err, "")
		}
	} else if err := printResetPlan(e, rep, group != ""); err != nil {
		return failed(e, "offsets reset", err, "")
	}
	if failures > 0 {
		fmt.Fprintf(e.stderr, "%s offsets reset: %s of %d not reset (see ERROR above); the others were.\n", prog, plural(failures, "partition", "partitions"), len(rep.Partitions))
		return exitFail
	}
	return exitOK
}

// parsePartitions reads --partition: comma-separated partition numbers; "" gives nil.
func parsePartitions(s string) ([]int32, error) {
	if s == "" {
		return nil, nil
	}
	var out []int32
	for _, f := range strings.Split(s, ",") {
		p, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil || p < 0 {
			return nil, fmt.Errorf("--partition %q: want partition numbers (0 or more), comma-separated", s)
		}
		if !slices.Contains(out, int32(p)) {
			out = append(out, int32(p))
		}
	}
	slices.Sort(out)
	return out, nil
}

// resetAdvice says whether the event-source mapping must change for the reset to take effect,
// and what to do, and why.
func resetAdvice(rep offsetsResetReport, target resetTarget, group string) (bool, string) {
	back, fwd, unknown := 0, 0, 0
	for _, p := range rep.Partitions {
		if p.GroupOffset != nil {
			// The mapping's position is known: it re-delivers only from it on.
			if *p.GroupOffset > p.New {
				back++
			} else if p.Direction != "unchanged" {
				fwd++
			}
			continue
		}
		switch {
		case p.Direction == "backward":
			back++
		case p.Direction == "forward" && p.Current < 0:
			unknown++
		case p.Direction == "forward":
			fwd++
		}
	}
	var b strings.Builder
	if back == 0 {
		switch {
		case fwd == 0 && unknown == 0:
			b.WriteString("Nothing moves: the event-source mapping needs no change.")
		default:
			b.WriteString("No change to the event-source mapping is needed: it keeps delivering from its consumer group's position, and the sink skips every record below the new offsets (counted as RecordsSkippedCommitted), so the next invocation writes from the new offsets on. Records between the old and the new offsets are never written.")
			if unknown > 0 {
				b.WriteString(" Partitions without a committed offset: if the mapping's consumer group is already past the new offset, the records in between are not delivered again (give --consumer-group to check).")
			}
		}
		return false, b.String()
	}
	groupID := "<new-group-id>"
	if group != "" {
		groupID = group + "-2"
	}
	fmt.Fprintf(&b, "The event-source mapping must change for this reset to take effect. Its consumer group keeps its own position in Kafka, past the new offsets: Lambda does not deliver the records below it again, and the sink only skips records below the offsets table's position, so the reset alone re-delivers nothing. Worse, the next batch the running mapping delivers starts above the new offset: the sink writes it and commits past it, undoing the reset. To re-process from the new offsets:\n")
	fmt.Fprintf(&b, "  1. Stop the mapping first: aws lambda update-event-source-mapping --uuid <mapping UUID> --no-enabled (or delete it).\n")
	fmt.Fprintf(&b, "  2. Run this reset with --execute.\n")
	fmt.Fprintf(&b, "  3. Create a mapping with a consumer group id that does not exist yet: Lambda applies StartingPosition only to a new group (an existing group resumes from its committed offsets), and a mapping's group id cannot be changed. With template.yaml, sam deploy --parameter-overrides \"ConsumerGroupId=%s StartingPosition=TRIM_HORIZON\" replaces the mapping; TRIM_HORIZON reads the topic from its start and the sink skips every record below the new offsets, so exactly the records from the new offsets on are written.", groupID)
	if !target.at.IsZero() {
		fmt.Fprintf(&b, " To read less, create it with the AWS CLI instead: aws lambda create-event-source-mapping ... --starting-position AT_TIMESTAMP --starting-position-timestamp %d.", target.at.Unix())
	}
	b.WriteString("\nObjects written earlier for offsets at or past the new ones stay in the bucket: the records are written again, and an object whose name a new batch reuses (same start offset) with other content is refused (s3.conditional.writes.enabled), failing the invocation. Delete those objects first, or re-process into another topics.dir.")
	return true, b.String()
}

// printResetPlan prints the plan (and what was applied) as text.
func printResetPlan(e *env, rep offsetsResetReport, withGroup bool) error {
	mode := "dry run"
	if rep.Execute {
		mode = "executed"
	}
	fmt.Fprintf(e.stdout, "Reset of connector %s, topic %s, %s (%s, %s):\n\n", rep.Connector, rep.Topic, rep.Target, rep.Store, mode)
	header := "PARTITION\tCURRENT\tNEW\tLOG START\tLOG END"
	if withGroup {
		header += "\tGROUP"
	}
	header += "\tCHANGE"
	if rep.Execute {
		header += "\tRESULT"
	}
	var rows [][]string
	for _, p := range rep.Partitions {
		change := p.Direction
		if p.Current >= 0 && p.Direction != "unchanged" {
			change = fmt.Sprintf("%s %d", p.Direction, abs(p.New-p.Current))
		}
		if p.Note != "" {
			change += " (" + p.Note + ")"
		}
		row := []string{strconv.Itoa(int(p.Partition)), offsetText(p.Current), strconv.FormatInt(p.New, 10), ptrText(p.LogStart), ptrText(p.LogEnd)}
		if withGroup {
			row = append(row, ptrText(p.GroupOffset))
		}
		row = append(row, change)
		if rep.Execute {
			switch {
			case p.Error != "":
				row = append(row, "ERROR: "+p.Error)
			case p.Applied:
				row = append(row, "reset")
			default:
				row = append(row, "-")
			}
		}
		rows = append(rows, row)
	}
	if err := table(e.stdout, header, rows); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s\n", rep.Advice)
	if !rep.Execute {
		fmt.Fprintln(e.stdout, "\nDry run: nothing changed. Run again with --execute to apply it.")
	}
	return nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
