package interop

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/connectors/s3source/reader/readertest"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// node returns the node binary and the directory of the installed packages. Without node the
// test is skipped; an npm failure fails it.
func node(t *testing.T) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the npm cross-checks need it")
	}
	installOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		installDir, installErr = Config{}.Install(ctx)
	})
	if installErr != nil {
		t.Fatalf("installing %v with npm: %v", Packages, installErr)
	}
	return bin, installDir
}

// runScript runs testdata/<script> on file with the installed packages and decodes its JSON.
func runScript(t *testing.T, script, file string, out any) {
	t.Helper()
	bin, dir := node(t)
	// Node resolves bare imports from the script's directory upwards: run a copy next to
	// node_modules.
	src, err := os.ReadFile(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, script)
	if err := os.WriteFile(copyPath+".tmp", src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(copyPath+".tmp", copyPath); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, copyPath, file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s %s: %v\n%s", script, file, err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, b)
	}
}

// sinkObjects writes recs with the S3 sink (props added to a bucket on a local S3 server) and
// returns the objects written, by key.
func sinkObjects(t *testing.T, props map[string]string, recs []record.Record) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := "interop"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"connector.name": "interop", "s3.bucket.name": bucket, "flush.size": "100000"}
	for k, v := range props {
		all[k] = v
	}
	c, err := s3sink.Spec().Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s3sink.ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := s3sink.New(cfg, client)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := sk.Plan(recs[0].TopicPartition(), recs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, w := range ws {
		if _, err := sk.Put(ctx, w); err != nil {
			t.Fatal(err)
		}
		o, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(w.ID())})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o.Body)
		o.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[w.ID()] = b
	}
	return out
}

func writeTemp(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestParquetReadByHyparquet: the sink's Parquet files, in every codec, read by hyparquet, hold
// the records' values, columns in field order.
func TestParquetReadByHyparquet(t *testing.T) {
	recs := readertest.RichRecords(40)
	for _, codec := range []string{"none", "snappy", "gzip", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			objs := sinkObjects(t, map[string]string{"format.class": "ParquetFormat", "parquet.codec": codec}, recs)
			if len(objs) != 1 {
				t.Fatalf("%d objects", len(objs))
			}
			for key, b := range objs {
				var got struct {
					Columns []string
					Codecs  []string
					Rows    []any
				}
				runScript(t, "read_parquet.mjs", writeTemp(t, "f.parquet", b), &got)
				wantCodec := map[string]string{"none": "UNCOMPRESSED", "snappy": "SNAPPY", "gzip": "GZIP", "zstd": "ZSTD"}[codec]
				if !reflect.DeepEqual(got.Codecs, []string{wantCodec}) {
					t.Errorf("%s: codecs %v, want %s", key, got.Codecs, wantCodec)
				}
				var names []string
				for _, f := range recs[0].ValueSchema.Fields {
					names = append(names, f.Name)
				}
				if !reflect.DeepEqual(got.Columns, names) {
					t.Errorf("columns %v, want %v", got.Columns, names)
				}
				compareRows(t, got.Rows, recs, parquetJS)
			}
		})
	}
}

// TestProjectedParquetReadByHyparquet: with schema.compatibility=BACKWARD, v1 and v2 records
// make one file of the v2 schema, v1 records carrying v2's defaults.
func TestProjectedParquetReadByHyparquet(t *testing.T) {
	v1 := &record.Schema{Type: record.Struct, Name: "user", Version: 1, Fields: []record.Field{{Name: "id", Index: 0, Schema: record.Int32Schema}}}
	v2 := &record.Schema{Type: record.Struct, Name: "user", Version: 2, Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema}, {Name: "plan", Index: 1, Schema: &record.Schema{Type: record.String, Default: "free"}}}}
	var recs []record.Record
	for i := 0; i < 6; i++ {
		r := record.Record{Topic: "users", Offset: int64(i), ValueSchema: v1, ValueData: &record.StructValue{Schema: v1, Values: []any{int32(i)}}}
		if i%2 == 1 {
			r.ValueSchema, r.ValueData = v2, &record.StructValue{Schema: v2, Values: []any{int64(i), "pro"}}
		}
		recs = append(recs, r)
	}
	objs := sinkObjects(t, map[string]string{"format.class": "ParquetFormat", "schema.compatibility": "BACKWARD"}, recs)
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	for _, b := range objs {
		var got struct{ Rows []any }
		runScript(t, "read_parquet.mjs", writeTemp(t, "p.parquet", b), &got)
		want := `[{"id":0,"plan":"free"},{"id":1,"plan":"pro"},{"id":2,"plan":"free"},{"id":3,"plan":"pro"},{"id":4,"plan":"free"},{"id":5,"plan":"pro"}]`
		if g, _ := json.Marshal(got.Rows); string(g) != want {
			t.Errorf("rows %s\nwant %s", g, want)
		}
	}
}

// TestAvroReadByAvsc: the sink's Avro container files, in every codec, read by avsc, hold the
// records' values.
func TestAvroReadByAvsc(t *testing.T) {
	recs := readertest.RichRecords(40)
	for _, codec := range []string{"null", "deflate", "snappy", "zstandard"} {
		t.Run(codec, func(t *testing.T) {
			objs := sinkObjects(t, map[string]string{"format.class": "AvroFormat", "avro.codec": codec}, recs)
			if len(objs) != 1 {
				t.Fatalf("%d objects", len(objs))
			}
			for _, b := range objs {
				var got struct {
					Codec   string
					Records []any
				}
				runScript(t, "read_avro.mjs", writeTemp(t, "f.avro", b), &got)
				if got.Codec != codec {
					t.Errorf("codec %q, want %q", got.Codec, codec)
				}
				compareRows(t, got.Records, recs, avroJS)
			}
		})
	}
}

func compareRows(t *testing.T, got []any, recs []record.Record, js func(s *record.Schema, v any) any) {
	t.Helper()
	if len(got) != len(recs) {
		t.Fatalf("%d rows, want %d", len(got), len(recs))
	}
	for i, r := range recs {
		want := roundTripJSON(js(r.ValueSchema, r.ValueData))
		if !approxEqual(got[i], want) {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want)
			t.Fatalf("row %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// approxEqual is reflect.DeepEqual on decoded JSON, with numbers equal to 1e-12 relative (hyparquet
// computes DECIMAL values in floating point).
func approxEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !approxEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !approxEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func roundTripJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

func hexOf(b []byte) map[string]any { return map[string]any{"$hex": hex.EncodeToString(b)} }

func decimalNumber(d record.Decimal) json.Number { return json.Number(d.String()) }

// parquetJS is what hyparquet makes of a Connect value written by ParquetFormat: structs
// objects, lists arrays, maps objects, int64 numbers, DATE and TIMESTAMP dates, TIME numbers of
// ms, DECIMAL numbers, unannotated bytes Uint8Arrays.
func parquetJS(s *record.Schema, v any) any {
	if v == nil {
		return nil
	}
	switch s.Name {
	case record.DecimalName:
		return decimalNumber(v.(record.Decimal))
	case record.DateName, record.TimestampName:
		return map[string]any{"$date": v.(time.Time).UnixMilli()}
	case record.TimeName:
		return v.(time.Time).Sub(record.Epoch).Milliseconds()
	}
	switch s.Type {
	case record.Struct:
		sv := v.(*record.StructValue)
		out := map[string]any{}
		for i, f := range s.Fields {
			out[f.Name] = parquetJS(f.Schema, sv.Values[i])
		}
		return out
	case record.Array:
		out := []any{}
		for _, e := range v.([]any) {
			out = append(out, parquetJS(s.Value, e))
		}
		return out
	case record.Map:
		out := map[string]any{}
		for _, e := range v.([]record.MapEntry) {
			out[fmt.Sprint(e.Key)] = parquetJS(s.Value, e.Value)
		}
		return out
	case record.Bytes:
		return hexOf(v.([]byte))
	}
	return v
}

// avroJS is what avsc makes of a Connect value written by AvroFormat (no logical types
// registered): records objects, unions of null and one type unwrapped, longs numbers, bytes
// Buffers, date/time/timestamp their underlying numbers, decimals their unscaled bytes.
func avroJS(s *record.Schema, v any) any {
	if v == nil {
		return nil
	}
	switch s.Name {
	case record.DecimalName:
		return hexOf(twos(v.(record.Decimal).Unscaled))
	case record.DateName:
		return int(v.(time.Time).Sub(record.Epoch).Hours() / 24)
	case record.TimeName:
		return v.(time.Time).Sub(record.Epoch).Milliseconds()
	case record.TimestampName:
		return v.(time.Time).UnixMilli()
	}
	switch s.Type {
	case record.Struct:
		sv := v.(*record.StructValue)
		out := map[string]any{}
		for i, f := range s.Fields {
			out[f.Name] = avroJS(f.Schema, sv.Values[i])
		}
		return out
	case record.Array:
		out := []any{}
		for _, e := range v.([]any) {
			out = append(out, avroJS(s.Value, e))
		}
		return out
	case record.Map:
		out := map[string]any{}
		for _, e := range v.([]record.MapEntry) {
			out[fmt.Sprint(e.Key)] = avroJS(s.Value, e.Value)
		}
		return out
	case record.Bytes:
		return hexOf(v.([]byte))
	}
	return v
}

// twos is Java's BigInteger.toByteArray.
func twos(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	m := new(big.Int).Add(n, new(big.Int).Lsh(big.NewInt(1), uint(n.BitLen()/8+1)*8))
	b := m.Bytes()
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}
