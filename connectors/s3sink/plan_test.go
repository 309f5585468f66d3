package s3sink

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/record"
)

var tsCreated = time.Date(2015, 12, 31, 23, 15, 0, 0, time.UTC)

// Object names for every partitioner and option, kept in testdata/names.golden.
func TestObjectNamesGolden(t *testing.T) {
	timeBased := map[string]string{
		"partitioner.class": "TimeBasedPartitioner", "path.format": "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
		"partition.duration.ms": "3600000", "locale": "en-US", "timezone": "UTC", "timestamp.extractor": "Record",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	structs := []record.Record{order(7, "alice", tsCreated), order(8, "bob", tsCreated.Add(time.Hour)), order(9, nil, tsCreated)}
	cases := []struct {
		name  string
		props map[string]string
		recs  []record.Record
	}{
		{"default", nil, jsonRecs("test-topic", 0, 0, 3)},
		{"default partition 12 offset 1234567", nil, jsonRecs("test-topic", 12, 1234567, 2)},
		{"default flush.size 2", map[string]string{"flush.size": "2"}, jsonRecs("t", 0, 10, 5)},
		{"gzip", map[string]string{"s3.compression.type": "gzip"}, jsonRecs("t", 0, 0, 1)},
		{"bytearray", map[string]string{"format.class": "ByteArrayFormat"}, jsonRecs("t", 0, 0, 1)},
		{"bytearray extension gzip", map[string]string{"format.class": "io.confluent.connect.s3.format.bytearray.ByteArrayFormat", "format.bytearray.extension": ".dat", "s3.compression.type": "gzip"}, jsonRecs("t", 0, 0, 1)},
		{"topics.dir and delims", map[string]string{"topics.dir": "data/kafka", "directory.delim": "/", "file.delim": "-"}, jsonRecs("t", 3, 5, 1)},
		{"empty topics.dir", map[string]string{"topics.dir": ""}, jsonRecs("t", 0, 0, 1)},
		{"directory.delim _", map[string]string{"topics.dir": "top", "directory.delim": "_"}, jsonRecs("t", 0, 0, 1)},
		{"zero pad width 4", map[string]string{"filename.offset.zero.pad.width": "4"}, jsonRecs("t", 0, 123456, 1)},
		{"field schemaless", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "customer", "flush.size": "2"}, jsonRecs("t", 0, 0, 7)},
		{"field struct two fields", map[string]string{"partitioner.class": "io.confluent.connect.storage.partitioner.FieldPartitioner", "partition.field.name": "customer,region"}, structs},
		{"field struct boolean and id", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "paid, id"}, structs},
		{"time-based hourly path", timeBased, jsonRecs("t", 0, 0, 4)},
		{"time-based trailing delim", with(timeBased, "path.format", "'year'=YYYY/'month'=MM/'day'=dd/"), jsonRecs("t", 0, 0, 4)},
		{"time-based daily Europe/Paris", with(timeBased, "partition.duration.ms", "86400000", "path.format", "'dt'=YYYY-MM-dd", "timezone", "Europe/Paris"), jsonRecs("t", 0, 0, 4)},
		{"time-based names", with(timeBased, "path.format", "YYYY/MMM/EEE/a/hh 'o''clock' Z/ZZ/ZZZ"), jsonRecs("t", 0, 0, 3)},
		{"time-based 15 minutes", with(timeBased, "partition.duration.ms", "900000", "path.format", "YYYYMMddHHmm"), jsonRecs("t", 0, 0, 2)},
		{"time-based wallclock", with(timeBased, "timestamp.extractor", "Wallclock"), jsonRecs("t", 0, 0, 3)},
		{"time-based record field struct", with(timeBased, "timestamp.extractor", "RecordField", "timestamp.field", "created"), structs},
		{"hourly", map[string]string{"partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "UTC", "timestamp.extractor": "Record"}, jsonRecs("t", 0, 0, 3)},
		{"hourly delim -", map[string]string{"partitioner.class": "HourlyPartitioner", "directory.delim": "-", "topics.dir": "x", "locale": "en", "timezone": "UTC", "timestamp.extractor": "Record"}, jsonRecs("t", 0, 0, 1)},
		{"daily America/Los_Angeles", map[string]string{"partitioner.class": "DailyPartitioner", "locale": "en", "timezone": "America/Los_Angeles", "timestamp.extractor": "Record"}, jsonRecs("t", 0, 0, 4)},
		{"write nulls", map[string]string{"behavior.on.null.values": "write", "partitioner.class": "FieldPartitioner", "partition.field.name": "customer"},
			append(jsonRecs("t", 0, 0, 2), record.Record{Topic: "t", Offset: 2}, record.Record{Topic: "t", Offset: 3})},
		{"ignore nulls", map[string]string{"behavior.on.null.values": "ignore"},
			append([]record.Record{{Topic: "t", Offset: 0}}, jsonRecs("t", 0, 1, 2)...)},
	}
	var out strings.Builder
	for _, c := range cases {
		s := newTestSink(t, c.props, nil)
		tp := c.recs[0].TopicPartition()
		ws, err := s.Plan(tp, c.recs)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		fmt.Fprintf(&out, "# %s\n", c.name)
		total := 0
		for _, w := range ws {
			fmt.Fprintf(&out, "%s (%d)\n", w.ID(), w.Records())
			total += w.Records()
		}
		if !strings.HasPrefix(c.name, "ignore") && total != len(c.recs) {
			t.Errorf("%s: the writes hold %d records, want %d", c.name, total, len(c.recs))
		}
		out.WriteByte('\n')
	}
	golden.Check(t, filepath.Join("testdata", "names.golden"), []byte(out.String()))
}

// Names as Confluent's documentation and tests give them.
func TestObjectNamesConfluent(t *testing.T) {
	hourly := map[string]string{"partitioner.class": "TimeBasedPartitioner", "path.format": "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
		"partition.duration.ms": "3600000", "locale": "en-US", "timezone": "UTC", "timestamp.extractor": "Record"}
	r := record.Record{Topic: "t", Offset: 0, Timestamp: time.Date(2015, 12, 31, 23, 59, 0, 0, time.UTC).UnixMilli(), TimestampType: record.CreateTime, ValueData: "x"}
	for _, c := range []struct {
		props map[string]string
		rec   record.Record
		want  string
	}{
		{nil, jsonRecs("test-topic", 0, 0, 1)[0], "topics/test-topic/partition=0/test-topic+0+0000000000.json"},
		{map[string]string{"format.class": "ByteArrayFormat"}, jsonRecs("test-topic", 1, 42, 1)[0], "topics/test-topic/partition=1/test-topic+1+0000000042.bin"},
		{hourly, r, "topics/t/year=2015/month=12/day=31/hour=23/t+0+0000000000.json"},
		{map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "customer"}, jsonRecs("t", 0, 4, 1)[0], "topics/t/customer=c-1/t+0+0000000004.json"},
	} {
		ws, err := newTestSink(t, c.props, nil).Plan(c.rec.TopicPartition(), []record.Record{c.rec})
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 || ws[0].ID() != c.want {
			t.Errorf("names %v, want [%s]", ids(ws), c.want)
		}
	}
}

func TestFlushSizeSplitting(t *testing.T) {
	for _, c := range []struct {
		flush, n int
		want     []int
	}{
		{1, 3, []int{1, 1, 1}},
		{3, 3, []int{3}},
		{3, 7, []int{3, 3, 1}},
		{10000, 2500, []int{2500}},
		{1000, 2500, []int{1000, 1000, 500}},
	} {
		s := newTestSink(t, map[string]string{"flush.size": fmt.Sprint(c.flush)}, nil)
		recs := jsonRecs("t", 0, 100, c.n)
		ws, err := s.Plan(recs[0].TopicPartition(), recs)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		next := int64(100)
		for _, w := range ws {
			sizes = append(sizes, w.Records())
			if want := fmt.Sprintf("topics/t/partition=0/t+0+%010d.json", next); w.ID() != want {
				t.Errorf("flush.size %d: object %s, want %s", c.flush, w.ID(), want)
			}
			next += int64(w.Records())
		}
		if !slices.Equal(sizes, c.want) {
			t.Errorf("flush.size %d, %d records: objects of %v, want %v", c.flush, c.n, sizes, c.want)
		}
	}
}

// IDs are a pure function of the records: planning again, or planning a suffix, names objects the
// same way.
func TestPlanIsDeterministic(t *testing.T) {
	props := map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "customer", "flush.size": "2"}
	recs := jsonRecs("t", 0, 0, 9)
	a, _ := newTestSink(t, props, nil).Plan(recs[0].TopicPartition(), recs)
	b, _ := newTestSink(t, props, nil).Plan(recs[0].TopicPartition(), recs)
	if !slices.Equal(ids(a), ids(b)) || len(a) == 0 {
		t.Errorf("two plans of the same records differ: %v and %v", ids(a), ids(b))
	}
	// Records of each group keep offset order.
	for _, w := range a {
		o := w.(*object)
		for i := 1; i < len(o.recs); i++ {
			if o.recs[i].Offset <= o.recs[i-1].Offset {
				t.Errorf("%s: offsets out of order", o.key)
			}
		}
	}
}

func TestNullValues(t *testing.T) {
	recs := []record.Record{jsonRecs("t", 0, 0, 1)[0], {Topic: "t", Partition: 0, Offset: 1}, jsonRecs("t", 0, 2, 1)[0]}
	t.Run("fail", func(t *testing.T) {
		_, err := newTestSink(t, nil, nil).Plan(recs[0].TopicPartition(), recs)
		if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "t/0/1") || !strings.Contains(err.Error(), KeyBehaviorOnNullValues) {
			t.Errorf("error %v: want a BadRecord error naming t/0/1 and %s", err, KeyBehaviorOnNullValues)
		}
	})
	t.Run("ignore", func(t *testing.T) {
		ws, err := newTestSink(t, map[string]string{"behavior.on.null.values": "ignore"}, nil).Plan(recs[0].TopicPartition(), recs)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 || ws[0].Records() != 2 {
			t.Errorf("plan %v: want one object of the two non-null records", ids(ws))
		}
		nulls := []record.Record{recs[1]}
		ws, err = newTestSink(t, map[string]string{"behavior.on.null.values": "ignore"}, nil).Plan(recs[0].TopicPartition(), nulls)
		if err != nil || len(ws) != 0 {
			t.Errorf("a batch of nulls only: %v, %v; want no writes", ids(ws), err)
		}
	})
	for _, format := range []string{"JsonFormat", "ByteArrayFormat"} {
		t.Run("write "+format, func(t *testing.T) {
			s := newTestSink(t, map[string]string{"behavior.on.null.values": "write", "format.class": format}, nil)
			ws, err := s.Plan(recs[0].TopicPartition(), recs)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(ws); len(got) != 2 || !strings.Contains(got[1], "/tombstone/t+0+0000000001.") {
				t.Fatalf("plan %v: want the null record under tombstone/", got)
			}
			b, err := s.Encode(ws[1])
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"JsonFormat": "null\n", "ByteArrayFormat": "\n"}[format]
			if string(b) != want {
				t.Errorf("null written as %q, want %q", b, want)
			}
		})
	}
}

// Partitioning errors are BadRecord errors naming the record and the setting.
func TestPartitionErrorsNameTheRecord(t *testing.T) {
	tb := map[string]string{"partitioner.class": "TimeBasedPartitioner", "path.format": "YYYY", "partition.duration.ms": "1000",
		"locale": "en", "timezone": "UTC", "timestamp.extractor": "RecordField", "timestamp.field": "ts"}
	field := map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "customer"}
	raw := func(off int64, v string) record.Record {
		return record.Record{Topic: "t", Partition: 1, Offset: off, Value: []byte(v), ValueData: record.RawJSON(v)}
	}
	for _, c := range []struct {
		name  string
		props map[string]string
		rec   record.Record
		want  []string
	}{
		{"field missing", field, raw(5, `{"other":1}`), []string{"t/1/5", "partition.field.name", `"customer"`, "no such field"}},
		{"field not a map", field, raw(6, `[1,2]`), []string{"t/1/6", "array"}},
		{"field nested", field, raw(7, `{"customer":{"id":1}}`), []string{"t/1/7", "map is not supported"}},
		{"field bad json", field, raw(8, `{"customer":`), []string{"t/1/8", "invalid JSON"}},
		{"field struct unsupported type", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "amount"}, order(9, "a", tsCreated), []string{"orders/2/9", "double is not supported"}},
		{"field struct timestamp", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "created"}, order(9, "a", tsCreated), []string{"orders/2/9", record.TimestampName}},
		{"field struct missing", map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "nope"}, order(10, "a", tsCreated), []string{"orders/2/10", "no such field"}},
		{"record field missing", tb, raw(11, `{"x":1}`), []string{"t/1/11", "timestamp.field", `no field "ts"`}},
		{"record field bad string", tb, raw(12, `{"ts":"yesterday"}`), []string{"t/1/12", "not an ISO-8601"}},
		{"record field boolean", tb, raw(13, `{"ts":true}`), []string{"t/1/13", "boolean is not a timestamp"}},
		{"record without timestamp", map[string]string{"partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "UTC", "timestamp.extractor": "Record"},
			raw(14, `{}`), []string{"t/1/14", "no timestamp"}},
	} {
		_, err := newTestSink(t, c.props, nil).Plan(c.rec.TopicPartition(), []record.Record{c.rec})
		if !errclass.Is(err, errclass.BadRecord) {
			t.Errorf("%s: error %v, want a BadRecord error", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestPlanRejectsForeignRecords(t *testing.T) {
	recs := jsonRecs("t", 1, 0, 1)
	if _, err := newTestSink(t, nil, nil).Plan(record.TopicPartition{Topic: "t", Partition: 0}, recs); err == nil || !strings.Contains(err.Error(), "t/1/0") {
		t.Errorf("a record of another partition: %v", err)
	}
}

func TestKeyTooLong(t *testing.T) {
	v := `{"customer":"` + strings.Repeat("x", 1100) + `"}`
	r := record.Record{Topic: "t", Offset: 3, Value: []byte(v), ValueData: record.RawJSON(v)}
	_, err := newTestSink(t, map[string]string{"partitioner.class": "FieldPartitioner", "partition.field.name": "customer"}, nil).Plan(r.TopicPartition(), []record.Record{r})
	if !errclass.Is(err, errclass.BadRecord) || !strings.Contains(err.Error(), "t/0/3") {
		t.Errorf("a 1100-byte partition value: %v, want a BadRecord error naming t/0/3", err)
	}
}
