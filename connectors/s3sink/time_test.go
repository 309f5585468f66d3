package s3sink

import (
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

func utc(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

// Flooring in a time zone, as Confluent's TimeBasedPartitioner.getPartition with Joda-Time.
func TestFloorTimestamp(t *testing.T) {
	for _, c := range []struct {
		ts       string
		duration time.Duration
		zone     string
		format   string
		want     string
	}{
		{"2015-12-31T23:59:59.999Z", time.Hour, "UTC", "YYYY-MM-dd'T'HH:mm:ss.SSS", "2015-12-31T23:00:00.000"},
		{"2016-01-01T00:00:00Z", time.Hour, "UTC", "YYYY-MM-dd'T'HH", "2016-01-01T00"},
		{"2020-01-01T20:00:00Z", 24 * time.Hour, "UTC", "YYYY-MM-dd", "2020-01-01"},
		// Kolkata is UTC+05:30: 20:00Z is 01:30 the next day there.
		{"2020-01-01T20:00:00Z", 24 * time.Hour, "Asia/Kolkata", "YYYY-MM-dd HH:mm ZZ", "2020-01-02 00:00 +05:30"},
		{"2020-01-01T20:00:00Z", 24 * time.Hour, "+05:30", "YYYY-MM-dd HH:mm Z ZZZ", "2020-01-02 00:00 +0530 +05:30"},
		{"2020-01-01T20:00:00Z", time.Hour, "Asia/Kolkata", "HH:mm", "01:00"},
		{"2020-01-01T20:00:00Z", 24 * time.Hour, "-08", "YYYY-MM-dd HH:mm ZZ", "2020-01-01 00:00 -08:00"},
		// New York, fall back on 2015-11-01 at 02:00 EDT: both 01:30s are in the bucket 01:00 EDT.
		{"2015-11-01T05:30:00Z", time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-11-01 01:00 EDT"},
		{"2015-11-01T06:30:00Z", time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-11-01 01:00 EDT"},
		{"2015-11-01T07:30:00Z", time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-11-01 02:00 EST"},
		{"2015-11-01T12:00:00Z", 24 * time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-11-01 00:00 EDT"},
		// Spring forward on 2015-03-08 at 02:00 EST: a two-hour bucket starting in the gap (02:00
		// local) is moved to the instant after it, 03:00 EDT, as Joda's non-strict conversion does.
		{"2015-03-08T07:30:00Z", 2 * time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-03-08 03:00 EDT"},
		{"2015-03-08T07:30:00Z", time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-03-08 03:00 EDT"},
		{"2015-03-08T06:59:00Z", time.Hour, "America/New_York", "YYYY-MM-dd HH:mm z", "2015-03-08 01:00 EST"},
		// Paris springs forward on 2015-03-29 at 02:00 CET (eastern: Joda keeps the later offset).
		{"2015-03-29T01:30:00Z", 2 * time.Hour, "Europe/Paris", "YYYY-MM-dd HH:mm z", "2015-03-29 03:00 CEST"},
		// Negative timestamps: Java's division truncates toward zero, so before the epoch a bucket
		// starts at its end.
		{"1969-12-31T23:30:00Z", time.Hour, "UTC", "YYYY-MM-dd HH:mm", "1970-01-01 00:00"},
		{"1969-12-31T22:30:00Z", time.Hour, "UTC", "YYYY-MM-dd HH:mm", "1969-12-31 23:00"},
	} {
		loc, err := loadZone(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parsePathFormat(c.format)
		if err != nil {
			t.Fatal(err)
		}
		b := floorTimestamp(utc(c.ts), c.duration.Milliseconds(), loc)
		if got := string(pf.appendTo(nil, time.UnixMilli(b).In(loc))); got != c.want {
			t.Errorf("%s floored to %v in %s: %s, want %s", c.ts, c.duration, c.zone, got, c.want)
		}
	}
}

// Joda-Time DateTimeFormat patterns, printed for 2015-07-09T14:05:06.789Z (a Thursday, ISO week
// 28, day 190) unless the case names another instant.
func TestPathFormat(t *testing.T) {
	base := "2015-07-09T14:05:06.789Z"
	for _, c := range []struct {
		pattern, at, want string
	}{
		{"'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "", "year=2015/month=07/day=09/hour=14"},
		{"yyyy-M-d H:m:s", "", "2015-7-9 14:5:6"},
		{"yy YY xx", "", "15 15 15"},
		{"yyyyyy", "", "002015"},
		{"S SS SSS SSSS", "", "7 78 789 7890"},
		{"D DDD w ww e E EEEE", "", "190 190 28 28 4 Thu Thursday"},
		{"MMM MMMM", "", "Jul July"},
		{"a h hh K k kk", "", "PM 2 02 2 14 14"},
		{"a h K k", "2015-07-09T00:30:00Z", "AM 12 0 24"},
		{"G C CC", "", "AD 20 20"},
		{"x-'W'ww-e", "2016-01-01T00:00:00Z", "2015-W53-5"},
		{"'it''s' ''yyyy''", "", "it's '2015'"},
		{"'unclosed yyyy", "", "unclosed yyyy"},
		{"dd.MM.yyyy, HH:mm", "", "09.07.2015, 14:05"},
		{"yyyy/", "", "2015/"},
		{"YYYY G y", "-0043-03-15T12:00:00Z", "0044 BC -43"},
		{"yy", "-0043-03-15T12:00:00Z", "43"},
		{"Z ZZ ZZZ z", "", "+0000 +00:00 UTC UTC"},
	} {
		at := c.at
		if at == "" {
			at = base
		}
		ms, err := parseISODateTime(at)
		if err != nil {
			t.Fatal(err)
		}
		ts := time.UnixMilli(ms).UTC()
		pf, err := parsePathFormat(c.pattern)
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		if got := string(pf.appendTo(nil, ts)); got != c.want {
			t.Errorf("%q at %s: %q, want %q", c.pattern, at, got, c.want)
		}
	}
}

func TestPathFormatErrors(t *testing.T) {
	for _, c := range []struct{ pattern, want string }{
		{"", "empty"},
		{"year=YYYY", `illegal pattern component "r"`},
		{"YYYY/T", `illegal pattern component "T"`},
		{"zzzz", "long time zone names"},
		{"uuuu", `illegal pattern component "uuuu"`},
		{strings.Repeat("d", 65), "wider than"},
	} {
		_, err := parsePathFormat(c.pattern)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.pattern, err, c.want)
		}
	}
}

func FuzzPathFormat(f *testing.F) {
	for _, s := range []string{"'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "YYYY-MM-dd", "''", "'a''b'", "EEEE MMMM a z Z ZZ ZZZ"} {
		f.Add(s, int64(1451606399999))
	}
	f.Fuzz(func(t *testing.T, pattern string, ms int64) {
		pf, err := parsePathFormat(pattern)
		if err != nil {
			return
		}
		if len(pf) == 0 {
			t.Fatalf("%q parsed to nothing", pattern)
		}
		ms %= 1 << 52 // within Joda-Time's range
		out := pf.appendTo(nil, time.UnixMilli(ms).UTC())
		// Literal text comes out as written: a pattern without letters or quotes prints itself.
		if !strings.ContainsAny(pattern, "'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") && string(out) != pattern {
			t.Fatalf("literal pattern %q printed %q", pattern, out)
		}
		// Formatting is a pure function of the pattern and the instant.
		if again := pf.appendTo(nil, time.UnixMilli(ms).UTC()); string(again) != string(out) {
			t.Fatalf("%q printed %q then %q", pattern, out, again)
		}
		// Flooring never moves a timestamp forward by a bucket or more, nor backwards past one.
		loc, _ := loadZone("Europe/Paris")
		b := floorTimestamp(ms, 3_600_000, loc)
		if ms >= 0 && (b > ms || ms-b >= 3_600_000+3_600_000) {
			t.Fatalf("%d floored to %d", ms, b)
		}
	})
}

func TestParseISODateTime(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"2015-12-31T23:59:59.999Z", "2015-12-31T23:59:59.999Z"},
		{"2015-12-31T23:59:59Z", "2015-12-31T23:59:59Z"},
		{"2015-12-31T23:59:59.123456789+01:00", "2015-12-31T22:59:59.123Z"},
		{"2015-12-31T23:59:59,5-0530", "2016-01-01T05:29:59.5Z"},
		{"2015-12-31T23:59", "2015-12-31T23:59:00Z"},
		{"2015-12-31T23", "2015-12-31T23:00:00Z"},
		{"2015-12-31", "2015-12-31T00:00:00Z"},
		{"2015-12", "2015-12-01T00:00:00Z"},
		{"2015", "2015-01-01T00:00:00Z"},
		{"2016-02-29T00:00:00+05", "2016-02-28T19:00:00Z"},
	} {
		got, err := parseISODateTime(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got != utc(c.want) {
			t.Errorf("%q: %s, want %s", c.in, time.UnixMilli(got).UTC().Format(time.RFC3339Nano), c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2015-13-01", "2015-02-29", "2015-12-31 23:59", "2015-12-31T24:00", "2015-12-31T23:59:59.", "2015-12-31T23:59:59+1", "15-12-31", "2015-12-31T23:59:59Zjunk"} {
		if _, err := parseISODateTime(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The RecordField extractor on struct, map and JSON values.
func TestRecordFieldExtractor(t *testing.T) {
	want := utc("2015-12-31T23:15:00Z")
	raw := func(v string) record.Record { return record.Record{Topic: "t", ValueData: record.RawJSON(v)} }
	for _, c := range []struct {
		name  string
		field string
		rec   record.Record
	}{
		{"struct timestamp", "created", order(1, "a", tsCreated)},
		{"json millis", "ts", raw(`{"ts":1451603700000}`)},
		{"json fractional millis", "ts", raw(`{"ts":1451603700000.9}`)},
		{"json iso string", "ts", raw(`{"ts":"2015-12-31T23:15:00Z"}`)},
		{"json nested", "meta.ts", raw(`{"meta":{"ts":"2016-01-01T00:15:00+01:00"}}`)},
		{"map", "ts", record.Record{ValueData: map[string]any{"ts": int64(1451603700000)}}},
	} {
		got, err := fieldTimestamp(c.rec, c.field)
		if err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", c.name, got, err, want)
		}
	}
	if _, err := fieldTimestamp(order(1, "a", tsCreated), "address.city"); err == nil || !strings.Contains(err.Error(), "Zürich") {
		t.Errorf("a city as timestamp: %v", err)
	}
	if _, err := fieldTimestamp(order(1, "a", tsCreated), "address.street"); err == nil || !strings.Contains(err.Error(), `"street"`) {
		t.Errorf("a missing nested field: %v", err)
	}
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1.0", 1.5: "1.5", -2.25: "-2.25", 0: "0.0", 1e7: "1.0E7", 1.234e-5: "1.234E-5", 0.001: "0.001",
		123456.789: "123456.789", 1e21: "1.0E21", 9999999: "9999999.0",
	} {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %s, want %s", f, got, want)
		}
	}
}
