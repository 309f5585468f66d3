package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/record"
)

// runIn runs the command line in process and returns its status and outputs.
func runIn(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errOut.String()
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string
		quietOut   bool // nothing on stdout
		quietError bool // nothing on stderr
	}{
		{name: "no command", args: nil, code: exitUsage, stderr: []string{"Commands:", "dev", "no command given", "lambda-connect dev --once"}, quietOut: true},
		{name: "--help", args: []string{"--help"}, code: exitOK, stdout: []string{"Commands:", "  dev ", "  help "}, quietError: true},
		{name: "-h", args: []string{"-h"}, code: exitOK, stdout: []string{"Commands:"}, quietError: true},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: []string{"Commands:", "dev", "Start with 'lambda-connect dev --once'"}, quietError: true},
		{name: "help dev", args: []string{"help", "dev"}, code: exitOK, stdout: []string{"Usage: lambda-connect dev", "-once", "-batch-size", "-format", "-compression", "-data-dir", "-output", "-records"}, quietError: true},
		{name: "help help", args: []string{"help", "help"}, code: exitOK, stdout: []string{"Usage: lambda-connect help"}, quietError: true},
		{name: "help unknown", args: []string{"help", "deploy"}, code: exitUsage, stderr: []string{`unknown command "deploy"`, "lambda-connect help"}, quietOut: true},
		{name: "help two", args: []string{"help", "dev", "help"}, code: exitUsage, stderr: []string{"one command at most"}, quietOut: true},
		{name: "dev --help", args: []string{"dev", "--help"}, code: exitOK, stdout: []string{"Usage: lambda-connect dev", "behavior.on.null.values=ignore", "-once"}, quietError: true},
		{name: "dev -h", args: []string{"dev", "-h"}, code: exitOK, stdout: []string{"Usage: lambda-connect dev"}, quietError: true},
		{name: "help --help", args: []string{"help", "--help"}, code: exitOK, stdout: []string{"Usage: lambda-connect help"}, quietError: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: []string{`unknown command "frobnicate"`, "Run 'lambda-connect help'"}, quietOut: true},
		{name: "typo", args: []string{"dve"}, code: exitUsage, stderr: []string{`unknown command "dve" (did you mean "dev"?)`}, quietOut: true},
		{name: "prefix", args: []string{"he"}, code: exitUsage, stderr: []string{`(did you mean "help"?)`}, quietOut: true},
		{name: "flag before command", args: []string{"--once"}, code: exitUsage, stderr: []string{"flags go after the command"}, quietOut: true},
		{name: "dev unknown flag", args: []string{"dev", "--nope"}, code: exitUsage, stderr: []string{"flag provided but not defined: -nope", "lambda-connect dev --help"}, quietOut: true},
		{name: "dev bad number", args: []string{"dev", "--records", "many"}, code: exitUsage, stderr: []string{"-records", "lambda-connect dev --help"}, quietOut: true},
		{name: "dev bad values", args: []string{"dev", "--format", "avro", "--compression", "zstd", "--output", "yaml", "--batch-size", "0", "--records", "0"},
			code: exitUsage, stderr: []string{`--format "avro"`, `--compression "zstd"`, `--output "yaml"`, "--batch-size 0", "--records 0", "lambda-connect dev --help"}, quietOut: true},
		{name: "dev arguments", args: []string{"dev", "now"}, code: exitUsage, stderr: []string{`unexpected arguments ["now"]`}, quietOut: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runIn(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not say %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, stderr)
				}
			}
			if tc.quietOut && stdout != "" {
				t.Errorf("unexpected stdout: %s", stdout)
			}
			if tc.quietError && stderr != "" {
				t.Errorf("unexpected stderr: %s", stderr)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"dev": "dev", "de": "dev", "dve": "dev", "devv": "dev", "ev": "events", "eve": "events",
		"valdiate": "validate", "offset": "offsets", "imprt": "import", "rn": "run",
		"hlep": "help", "h": "help", "hel": "help",
		"deploy": "", "x": "", "": "", "frobnicate": "",
	} {
		if got := suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseObjectKey(t *testing.T) {
	for _, tc := range []struct {
		key       string
		ok        bool
		topic     string
		partition int32
		start     int64
	}{
		{"topics/orders/partition=0/orders+0+0000000000.json", true, "orders", 0, 0},
		{"topics/clicks.v1/partition=1/clicks.v1+1+0000000042.bin.gz", true, "clicks.v1", 1, 42},
		{"x/orders-eu_1/year=2024/month=01/orders-eu_1+12+12345678901.json.gz", true, "orders-eu_1", 12, 12345678901},
		{"orders+3+7.json", true, "orders", 3, 7},
		{"topics/orders/partition=0/orders+0+0000000000", false, "", 0, 0}, // no extension
		{"topics/orders/partition=0/orders+0+.json", false, "", 0, 0},      // no offset
		{"topics/orders/partition=0/orders+x+0000000000.json", false, "", 0, 0},
		{"topics/orders/partition=0/orders+-1+0000000000.json", false, "", 0, 0},
		{"topics/orders/partition=0/orders+01+0000000000.json", false, "", 0, 0},
		{"topics/orders/partition=0/orders+0+-5.json", false, "", 0, 0},
		{"topics/orders/partition=0/+0+0.json", false, "", 0, 0},
		{"topics/orders/partition=0/a+b+0+0.json", false, "", 0, 0},
		{"topics/orders/partition=0/orders+0+99999999999999999999.json", false, "", 0, 0},
		{"", false, "", 0, 0},
	} {
		topic, p, start, ok := parseObjectKey(tc.key)
		if ok != tc.ok || topic != tc.topic || p != tc.partition || start != tc.start {
			t.Errorf("parseObjectKey(%q) = %q, %d, %d, %v; want %q, %d, %d, %v", tc.key, topic, p, start, ok, tc.topic, tc.partition, tc.start, tc.ok)
		}
	}
}

func FuzzParseObjectKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, key string) {
		topic, p, start, ok := parseObjectKey(key)
		if !ok {
			return
		}
		if topic == "" || strings.ContainsAny(topic, "+/") || p < 0 || start < 0 {
			t.Fatalf("parseObjectKey(%q) accepted topic %q partition %d start %d", key, topic, p, start)
		}
		// The key as the S3 sink would write it parses to the same.
		again := fmt.Sprintf("topics/%s/partition=%d/%s+%d+%010d.json", topic, p, topic, p, start)
		t2, p2, s2, ok2 := parseObjectKey(again)
		if !ok2 || t2 != topic || p2 != p || s2 != start {
			t.Fatalf("%q parsed as %q %d %d, but %q as %q %d %d %v", key, topic, p, start, again, t2, p2, s2, ok2)
		}
	})
}

func TestCountLines(t *testing.T) {
	for in, want := range map[string]int{"": 0, "a\n": 1, "a\nb\n": 2, "a\nb": 2, "\n": 1, "\n\n": 2} {
		if got := countLines([]byte(in)); got != want {
			t.Errorf("countLines(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSample(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	for _, n := range []int{1, 9, 10, 200, 1001} {
		s := newSample(n, now)
		if len(s.records) != n {
			t.Fatalf("newSample(%d): %d records", n, len(s.records))
		}
		wantTomb := 0
		if n >= minForTombstone {
			wantTomb = 1
		}
		tombs, partitionOf := 0, map[string]int32{}
		parts := map[string]int32{}
		for _, tp := range sandboxTopics {
			parts[tp.name] = tp.partitions
		}
		for i, r := range s.records {
			np, ok := parts[r.Topic]
			if !ok || r.Partition < 0 || r.Partition >= np {
				t.Fatalf("record %d: %s has no such partition", i, r.TopicPartition())
			}
			if r.TimestampType != record.CreateTime || r.Timestamp != now.UnixMilli()+int64(i) {
				t.Errorf("record %d: timestamp %d %v", i, r.Timestamp, r.TimestampType)
			}
			if r.Value == nil {
				tombs++
				if r.Key == nil {
					t.Errorf("record %d: a tombstone without a key", i)
				}
				continue
			}
			if !json.Valid(r.Value) {
				t.Errorf("record %d: value %s is not JSON", i, r.Value)
			}
			if r.Key != nil {
				if p, seen := partitionOf[string(r.Key)]; seen && p != r.Partition {
					t.Errorf("key %s is on partitions %d and %d", r.Key, p, r.Partition)
				}
				partitionOf[string(r.Key)] = r.Partition
			}
		}
		if tombs != wantTomb || s.tombstones != wantTomb {
			t.Errorf("newSample(%d): %d tombstones (counted %d), want %d", n, tombs, s.tombstones, wantTomb)
		}
	}
}

func TestReportCheck(t *testing.T) {
	obj := func(recs int) objectReport { return objectReport{Records: recs} }
	for _, tc := range []struct {
		name string
		p    partitionReport
		says string // "" for no error
	}{
		{"complete", partitionReport{LogEnd: 10, Committed: 10, Delivered: 10, Tombstones: 1, Objects: []objectReport{obj(4), obj(5)}}, ""},
		{"empty partition", partitionReport{LogEnd: 0, Committed: -1}, ""},
		{"missing records", partitionReport{LogEnd: 10, Committed: 10, Delivered: 10, Objects: []objectReport{obj(9)}}, "9 records in objects, want 10"},
		{"duplicated records", partitionReport{LogEnd: 3, Committed: 3, Delivered: 3, Objects: []objectReport{obj(3), obj(1)}}, "4 records in objects, want 3"},
		{"not committed", partitionReport{LogEnd: 3, Committed: 2, Delivered: 3, Objects: []objectReport{obj(3)}}, "committed offset 2, want the log end 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Topic, tc.p.Partition = "orders", 1
			err := devReport{Partitions: []partitionReport{tc.p}}.check()
			if tc.says == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "orders-1") {
				t.Fatalf("check() = %v, want an error about orders-1 saying %q", err, tc.says)
			}
		})
	}
}

func TestDevOptionsProps(t *testing.T) {
	base := devOptions{records: 10, batchSize: 100, format: "json", compression: "none", output: "text", poll: time.Second}
	if err := base.validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		want   map[string]string
	}{
		{"json", map[string]string{"format.class": "io.confluent.connect.s3.format.json.JsonFormat",
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"}},
		{"bytearray", map[string]string{"format.class": "io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
			"value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter", "value.converter.schemas.enable": ""}},
	} {
		o := base
		o.format = tc.format
		p := o.props()
		for k, v := range tc.want {
			if p[k] != v {
				t.Errorf("--format %s: %s=%q, want %q", tc.format, k, p[k], v)
			}
		}
		if p["behavior.on.null.values"] != "ignore" || p["connector.name"] != devConnector || p["s3.bucket.name"] != devBucket {
			t.Errorf("--format %s: settings %v", tc.format, p)
		}
	}
}
