package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/offsets"
)

// TestOffsets lists and resets a connector's offsets in DynamoDB Local against kfake, and checks
// the effect on the next invocations: a reset forward is skipped to at once, a reset backward
// takes effect with a new consumer group, as the output says.
func TestOffsets(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	topic := uniqueName("events")
	if err := st.kafka.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)
	var values []string
	for i := range 20 {
		values = append(values, `{"i":`+strconv.Itoa(i)+`}`)
	}
	produce(t, st.kafka, topic, 2, base, values...) // 10 a partition; partition p, offset o: i = 2o+p, at base+i s
	const conn = "offsets-test"
	environ := st.environ(conn)
	brokers := st.kafka.Bootstrap()
	runOnce := func(group string) string {
		t.Helper()
		code, stdout, stderr := runEnv(t, environ, "run", "s3-sink", "--bootstrap-servers", brokers, "--topic", topic,
			"--consumer-group", group, "--batching-window", "50ms", "--once")
		if code != exitOK {
			t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
		}
		return stdout
	}
	offsetsCmd := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		full := append([]string{"offsets"}, args...)
		full = append(full, "--connector", conn, "--table", st.table)
		code, stdout, stderr := runEnv(t, nil, full...)
		if code != wantCode {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", full, code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}
	listJSON := func(args ...string) offsetsListReport {
		t.Helper()
		stdout, _ := offsetsCmd(exitOK, append([]string{"list", "--bootstrap-servers", brokers, "--output", "json"}, args...)...)
		var rep offsetsListReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return rep
	}

	// Nothing committed yet: every record of the topic is lag.
	if rep := listJSON(); len(rep.Partitions) != 0 {
		t.Fatalf("before any run, without --topic: %+v", rep)
	}
	if rep := listJSON("--topic", topic); len(rep.Partitions) != 2 || *rep.TotalLag != 20 || rep.Partitions[0].Committed != -1 {
		t.Fatalf("before any run: %+v", rep)
	}
	runOnce("g1")
	rep := listJSON()
	if len(rep.Partitions) != 2 || *rep.TotalLag != 0 {
		t.Fatalf("after the run: %+v", rep)
	}
	for _, p := range rep.Partitions {
		if p.Topic != topic || p.Committed != 10 || *p.LogStart != 0 || *p.LogEnd != 10 || *p.Lag != 0 || p.LeaseOwner != "" || p.Updated == nil {
			t.Errorf("partition %+v", p)
		}
	}
	produce(t, st.kafka, topic, 1, base.Add(time.Hour), values[:5]...) // offsets 10-14 of partition 0
	stdout, _ := offsetsCmd(exitOK, "list", "--bootstrap-servers", brokers)
	for _, s := range []string{"TOPIC", "COMMITTED", "LAG", topic, "Total lag: 5 records."} {
		if !strings.Contains(stdout, s) {
			t.Errorf("offsets list does not say %q:\n%s", s, stdout)
		}
	}

	// Backward: a dry run changes nothing and explains the mapping change.
	stdout, _ = offsetsCmd(exitOK, "reset", "--topic", topic, "--partition", "0", "--to-offset", "4", "--bootstrap-servers", brokers)
	for _, s := range []string{"backward 6", "Dry run: nothing changed", "consumer group id that does not exist yet", "--no-enabled", "TRIM_HORIZON"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("dry run does not say %q:\n%s", s, stdout)
		}
	}
	if n := st.next(t, conn, topic, 0); n != 10 {
		t.Fatalf("a dry run moved the offset to %d", n)
	}
	stdout, _ = offsetsCmd(exitOK, "reset", "--topic", topic, "--partition", "0", "--to-offset", "4", "--bootstrap-servers", brokers,
		"--consumer-group", "g1", "--execute", "--output", "json")
	var reset offsetsResetReport
	if err := json.Unmarshal([]byte(stdout), &reset); err != nil {
		t.Fatal(err)
	}
	if p := reset.Partitions; len(p) != 1 || p[0].Current != 10 || p[0].New != 4 || *p[0].GroupOffset != 10 || !p[0].Applied || !reset.MappingChange {
		t.Fatalf("reset %+v", reset)
	}
	if n := st.next(t, conn, topic, 0); n != 4 {
		t.Fatalf("offset %d after the reset, want 4", n)
	}
	// As the output says: a new consumer group from the start of the log; the sink skips what
	// is below the offsets, so partition 0 is written again from offset 4 on, and partition 1
	// not at all.
	runOnce("g2")
	objs := st.objects(t, "topics/"+topic+"/")
	again := objs["topics/"+topic+"/partition=0/"+topic+"+0+0000000004.json"]
	if len(again) != 11 || again[0] != `{"i":8}` {
		t.Errorf("the object from offset 4 holds %q; objects: %v", again, keysOf(objs))
	}
	if len(objs) != 3 {
		t.Errorf("objects %v, want the two of the first run and the one from offset 4", keysOf(objs))
	}
	if n := st.next(t, conn, topic, 0); n != 15 {
		t.Errorf("offset %d after the run, want 15", n)
	}

	// Forward: no mapping change, and the next invocation skips to it.
	produce(t, st.kafka, topic, 2, base.Add(2*time.Hour), "{}", `{"skip":1}`, "{}", `{"skip":2}`) // partition 1: offsets 10, 11
	stdout, _ = offsetsCmd(exitOK, "reset", "--topic", topic, "--partition", "1", "--to-latest", "--bootstrap-servers", brokers, "--execute")
	for _, s := range []string{"forward 2", "No change to the event-source mapping is needed", "reset"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("reset --to-latest does not say %q:\n%s", s, stdout)
		}
	}
	runOnce("g2")
	for k := range st.objects(t, "topics/"+topic+"/partition=1/") {
		if strings.HasSuffix(k, "+0000000010.json") {
			t.Errorf("records below the reset offset were written: %s", k)
		}
	}
	if n := st.next(t, conn, topic, 1); n != 12 {
		t.Errorf("partition 1 at %d, want 12", n)
	}

	// --to-datetime: partition 1 holds i = 1, 3, 5, ... at base+i s: 12:00:07 is offset 3.
	stdout, _ = offsetsCmd(exitOK, "reset", "--topic", topic, "--to-datetime", "2024-06-10T12:00:06.5Z", "--bootstrap-servers", brokers, "--output", "json")
	reset = offsetsResetReport{}
	if err := json.Unmarshal([]byte(stdout), &reset); err != nil {
		t.Fatal(err)
	}
	if len(reset.Partitions) != 2 || reset.Partitions[0].New != 4 || reset.Partitions[1].New != 3 || reset.Execute || !strings.Contains(reset.Advice, "AT_TIMESTAMP --starting-position-timestamp 1718020806") {
		t.Errorf("--to-datetime plan %+v", reset)
	}
	// --to-earliest and an offset past the end (kept within the log).
	stdout, _ = offsetsCmd(exitOK, "reset", "--topic", topic, "--partition", "1", "--to-offset", "99", "--bootstrap-servers", brokers)
	if !strings.Contains(stdout, "99 is past the log end: the log end") {
		t.Errorf("--to-offset 99:\n%s", stdout)
	}
	stdout, _ = offsetsCmd(exitOK, "reset", "--topic", topic, "--to-earliest", "--bootstrap-servers", brokers)
	if !strings.Contains(stdout, "backward 17") || !strings.Contains(stdout, "backward 12") {
		t.Errorf("--to-earliest:\n%s", stdout)
	}

	// A lease held by an invocation at work: refused, unless --force (which fences it).
	k := offsets.Key{Connector: conn, Topic: topic, Partition: 0}
	if _, err := st.store.Acquire(ctx, k, "invocation-at-work", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	stdout, _ = offsetsCmd(exitOK, "list")
	if !strings.Contains(stdout, "by invocation-at-work") {
		t.Errorf("offsets list does not show the lease:\n%s", stdout)
	}
	stdout, stderr := offsetsCmd(exitFail, "reset", "--topic", topic, "--partition", "0", "--to-offset", "0", "--execute")
	if !strings.Contains(stdout, "--force to fence it") || !strings.Contains(stderr, "1 partition of 1 not reset") {
		t.Errorf("reset under a lease:\n%s\n%s", stdout, stderr)
	}
	offsetsCmd(exitOK, "reset", "--topic", topic, "--partition", "0", "--to-offset", "0", "--execute", "--force")
	if s, err := st.store.Get(ctx, k); err != nil || s.Next != 0 || s.Owner != "" {
		t.Errorf("after --force: %+v, %v", s, err)
	}
}

func keysOf[V any](m map[string]V) []string { return sortedKeys(m) }

func TestOffsetsUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		environ []string
		code    int
		says    []string
	}{
		{[]string{"offsets"}, nil, exitUsage, []string{"no subcommand given"}},
		{[]string{"offsets", "move"}, nil, exitUsage, []string{`unknown subcommand "move"`}},
		{[]string{"offsets", "list"}, nil, exitUsage, []string{"--connector is required", "--table is required"}},
		{[]string{"offsets", "list", "--table", "t", "--file", "f"}, []string{"CONNECT_CONNECTOR_NAME=c"}, exitUsage, []string{"give one"}},
		{[]string{"offsets", "reset", "--connector", "c", "--table", "t"}, nil, exitUsage, []string{"--topic is required", "give exactly one of"}},
		{[]string{"offsets", "reset", "--connector", "c", "--table", "t", "--topic", "x", "--to-latest", "--to-offset", "3", "--dry-run", "--execute"},
			nil, exitUsage, []string{"give exactly one of", "--bootstrap-servers is required", "--dry-run and --execute"}},
		{[]string{"offsets", "reset", "--connector", "c", "--table", "t", "--topic", "x", "--to-datetime", "yesterday", "--partition", "a"},
			nil, exitUsage, []string{`--to-datetime "yesterday"`, `--partition "a"`}},
		{[]string{"offsets", "list", "--file", "/nonexistent/offsets.json"}, []string{"CONNECT_CONNECTOR_NAME=c"}, exitFail, []string{"does not exist"}},
		{[]string{"offsets", "--help"}, nil, exitOK, nil},
		{[]string{"offsets", "reset", "--help"}, nil, exitOK, nil},
	} {
		code, _, stderr := runEnv(t, tc.environ, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s", tc.args, code, tc.code, stderr)
		}
		for _, s := range tc.says {
			if !strings.Contains(stderr, s) {
				t.Errorf("%v: stderr does not say %q:\n%s", tc.args, s, stderr)
			}
		}
	}
}

// TestOffsetsFile lists and resets a local offsets file, without a broker.
func TestOffsetsFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := t.TempDir() + "/offsets.json"
	fst, err := offsets.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	for p, next := range []int64{7, 3} {
		k := offsets.Key{Connector: "c", Topic: "orders", Partition: int32(p)}
		if err := fst.Reset(ctx, k, next, false); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runEnv(t, []string{"CONNECT_CONNECTOR_NAME=c"}, "offsets", "list", "--file", path)
	if code != exitOK || !strings.Contains(stdout, "Add --bootstrap-servers") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runEnv(t, nil, "offsets", "reset", "--file", path, "--connector", "c", "--topic", "orders", "--to-offset", "5", "--execute", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep offsetsResetReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Partitions) != 2 || rep.Partitions[0].Direction != "backward" || rep.Partitions[1].Direction != "forward" || !rep.MappingChange {
		t.Errorf("%+v", rep)
	}
	reread, err := offsets.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	states, err := reread.List(ctx, "c")
	if err != nil || len(states) != 2 || states[0].Next != 5 || states[1].Next != 5 {
		t.Errorf("after the reset: %+v, %v", states, err)
	}
	code, _, stderr = runEnv(t, nil, "offsets", "reset", "--file", path, "--connector", "c", "--topic", "clicks", "--to-offset", "5")
	if code != exitFail || !strings.Contains(stderr, "Give --partition, or --bootstrap-servers") {
		t.Errorf("unknown topic without a broker: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runEnv(t, nil, "offsets", "list", "--file", path, "--connector", "other")
	if code != exitOK || !strings.Contains(stderr, `No committed offsets for connector "other"`) {
		t.Errorf("no offsets: exit %d\n%s", code, stderr)
	}
}
