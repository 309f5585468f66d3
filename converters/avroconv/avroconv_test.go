package avroconv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"math/big"

	"github.com/hamba/avro/v2"

	"github.com/lambda-connect/lambda-connect/converters/schemaregistry"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func newConverter(t testing.TB, reg Registry, mod func(*Config)) *Converter {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConverterRoundTrip writes every type with one converter and reads it with another (as a
// sink reads what a source wrote), through the same registry.
func TestConverterRoundTrip(t *testing.T) {
	reg := newFakeRegistry()
	w := newConverter(t, reg, nil)
	r := newConverter(t, reg, nil)
	for _, tt := range roundTrips {
		t.Run(tt.name, func(t *testing.T) {
			data, err := w.FromConnect("t", nil, tt.schema, tt.value)
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			if tt.value == nil {
				if data != nil {
					t.Fatalf("a null gave % x, want nil", data)
				}
				return
			}
			s, v, err := r.ToConnect("t", nil, data)
			if err != nil {
				t.Fatalf("ToConnect(% x): %v", data, err)
			}
			// Every schema is a new version of subject t-value: the reader gives it the
			// registry's version (connect.version, when the schema has one, wins).
			if wantVersion := tt.schema.Version; s.Version == 0 || wantVersion != 0 && s.Version != wantVersion {
				t.Errorf("schema version %d, want the registry's (connect.version %d)", s.Version, wantVersion)
			}
			s, v = withoutVersion(s, v, tt.schema.Version)
			if !schemaEqual(s, tt.schema) {
				t.Errorf("schema %+v, want %+v", s, tt.schema)
			}
			if !equalData(v, tt.value) {
				t.Errorf("value %s, want %s", show(v), show(tt.value))
			}
		})
	}
}

const userSchema = `{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}`

// userRecord is {"name":"Ann","age":30} under userSchema with schema id 42, computed by hand:
// magic 00, id 00 00 00 2a, name: length 3 zig-zag 06 then "Ann", age: 30 zig-zag 3c.
var userRecord = []byte{0x00, 0x00, 0x00, 0x00, 0x2a, 0x06, 'A', 'n', 'n', 0x3c}

func TestToConnectFixedBytes(t *testing.T) {
	reg := newFakeRegistry()
	reg.add("users-value", 42, userSchema)
	c := newConverter(t, reg, nil)
	s, v, err := c.ToConnect("users", nil, userRecord)
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != record.Struct || s.Name != "com.example.User" || len(s.Fields) != 2 ||
		s.Fields[0].Schema.Type != record.String || s.Fields[1].Schema.Type != record.Int32 {
		t.Fatalf("schema %+v", s)
	}
	sv := v.(*record.StructValue)
	if sv.Values[0] != "Ann" || sv.Values[1] != int32(30) {
		t.Errorf("values %#v", sv.Values)
	}
	// And back: the Connect schema maps to the same Avro schema, so with the schema registered
	// under id 42 the converter writes the same bytes.
	back := newConverter(t, reg, func(c *Config) { c.AutoRegisterSchemas = false })
	a, _ := SchemaFromConnect(s)
	text, _ := a.(interface{ MarshalJSON() ([]byte, error) }).MarshalJSON()
	reg.mu.Lock()
	reg.subjects["users-value"] = nil
	reg.mu.Unlock()
	reg.add("users-value", 42, string(text))
	data, err := back.FromConnect("users", nil, s, v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, userRecord) {
		t.Errorf("FromConnect = % x, want % x", data, userRecord)
	}
}

// TestRegistryCalledOncePerSchema converts many records and counts the registry calls.
func TestRegistryCalledOncePerSchema(t *testing.T) {
	reg := newFakeRegistry()
	w := newConverter(t, reg, nil)
	r := newConverter(t, reg, nil)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				data, err := w.FromConnect("points", nil, pointSchema, pt(int32(i), nil))
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := r.ToConnect("points", nil, data); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := reg.Calls("Register"); n != 1 {
		t.Errorf("Register called %d times for 1000 records, want 1", n)
	}
	if n := reg.Calls("SchemaByID"); n != 1 {
		t.Errorf("SchemaByID called %d times for 1000 records, want 1", n)
	}
}

func TestToConnectErrors(t *testing.T) {
	reg := newFakeRegistry()
	reg.add("users-value", 42, userSchema)
	reg.byID[7] = reg.byID[42]
	reg.byID[7] = withType(reg.byID[42], "PROTOBUF")
	tests := []struct {
		name  string
		data  []byte
		class errclass.Class
		want  string
	}{
		{"empty", []byte{}, errclass.BadRecord, "empty data"},
		{"wrong magic", []byte(`{"name":"Ann"}`), errclass.BadRecord, "wrong magic byte 0x7b"},
		{"short frame", []byte{0, 0, 0}, errclass.BadRecord, "too short"},
		{"unknown id", []byte{0, 0, 0, 0, 99, 6, 'A', 'n', 'n', 0x3c}, errclass.BadRecord, "schema id 99"},
		{"not avro", []byte{0, 0, 0, 0, 7, 0}, errclass.BadRecord, "PROTOBUF schema, not Avro"},
		{"truncated payload", userRecord[:7], errclass.BadRecord, "decoding a record of schema id 42"},
		{"negative length", []byte{0, 0, 0, 0, 42, 0x05, 'A'}, errclass.BadRecord, "schema id 42"},
	}
	c := newConverter(t, reg, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.ToConnect("users", nil, tt.data)
			if err == nil {
				t.Fatal("no error")
			}
			if errclass.Of(err) != tt.class || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "users: ") {
				t.Errorf("error %q (%s), want class %s mentioning %q and the topic", err, errclass.Of(err), tt.class, tt.want)
			}
		})
	}
	// The unknown id is remembered: asking again does not call the registry again.
	before := reg.Calls("SchemaByID")
	if _, _, err := c.ToConnect("users", nil, tests[3].data); !errclass.Is(err, errclass.BadRecord) {
		t.Fatal(err)
	}
	if reg.Calls("SchemaByID") != before {
		t.Error("unknown id looked up again")
	}
	// The remembered error names the topic of the record at hand.
	if _, _, err := c.ToConnect("orders", nil, tests[3].data); err == nil || !strings.HasPrefix(err.Error(), "orders: ") {
		t.Errorf("unknown id on another topic: %v", err)
	}
}

func withType(s schemaregistry.Schema, typ string) schemaregistry.Schema { s.Type = typ; return s }

// TestRegistryDown: an unreachable registry is Retriable, and not remembered: once the registry
// is back the same record converts.
func TestRegistryDown(t *testing.T) {
	reg := newFakeRegistry()
	reg.add("users-value", 42, userSchema)
	c := newConverter(t, reg, nil)
	reg.SetDown(true)
	_, _, err := c.ToConnect("users", nil, userRecord)
	if !errclass.Is(err, errclass.Retriable) || !errors.Is(err, errDown) {
		t.Fatalf("ToConnect with the registry down: %v (%s), want Retriable", err, errclass.Of(err))
	}
	_, err = c.FromConnect("users", nil, pointSchema, pt(1, nil))
	if !errclass.Is(err, errclass.Retriable) {
		t.Fatalf("FromConnect with the registry down: %v (%s), want Retriable", err, errclass.Of(err))
	}
	reg.SetDown(false)
	if _, _, err := c.ToConnect("users", nil, userRecord); err != nil {
		t.Fatalf("after the registry came back: %v", err)
	}
	if _, err := c.FromConnect("users", nil, pointSchema, pt(1, nil)); err != nil {
		t.Fatalf("after the registry came back: %v", err)
	}
}

func TestFromConnectErrors(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*Config)
		schema *record.Schema
		value  any
		class  errclass.Class
		want   string
	}{
		{"schemaless", nil, nil, map[string]any{"a": 1}, errclass.BadRecord, "schemaless"},
		{"wrong value", nil, pointSchema, "x", errclass.BadRecord, "string is not struct"},
		{"null in required field", nil, pointSchema, &record.StructValue{Schema: pointSchema, Values: []any{nil, nil}}, errclass.BadRecord, "field x: null"},
		{"not registered", func(c *Config) { c.AutoRegisterSchemas = false }, pointSchema, pt(1, nil), errclass.BadRecord, "looking up the schema under subject t-value"},
		{"no latest", func(c *Config) { c.UseLatestVersion = true }, pointSchema, pt(1, nil), errclass.BadRecord, "latest schema of subject t-value"},
		{"enum symbol", nil, enumSchema, "CLUBS", errclass.BadRecord, "not a symbol"},
		{"decimal without scale", nil, &record.Schema{Type: record.Bytes, Name: record.DecimalName}, dec(1, 0), errclass.BadRecord, "scale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newFakeRegistry()
			c := newConverter(t, reg, tt.mod)
			_, err := c.FromConnect("t", nil, tt.schema, tt.value)
			if err == nil {
				t.Fatal("no error")
			}
			if errclass.Of(err) != tt.class || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (%s), want class %s mentioning %q", err, errclass.Of(err), tt.class, tt.want)
			}
		})
	}
}

func TestTombstones(t *testing.T) {
	c := newConverter(t, newFakeRegistry(), nil)
	if s, v, err := c.ToConnect("t", nil, nil); s != nil || v != nil || err != nil {
		t.Errorf("ToConnect(nil) = %v, %v, %v", s, v, err)
	}
	if b, err := c.FromConnect("t", nil, pointSchema, nil); b != nil || err != nil {
		t.Errorf("FromConnect(nil) = %v, %v", b, err)
	}
}

func TestSubjectNameStrategies(t *testing.T) {
	tests := []struct {
		strategy SubjectNameStrategy
		isKey    bool
		want     string
	}{
		{TopicNameStrategy, false, "points-value"},
		{TopicNameStrategy, true, "points-key"},
		{RecordNameStrategy, false, "com.example.Point"},
		{RecordNameStrategy, true, "com.example.Point"},
		{TopicRecordNameStrategy, false, "points-com.example.Point"},
	}
	for _, tt := range tests {
		t.Run(string(tt.strategy), func(t *testing.T) {
			reg := newFakeRegistry()
			c := newConverter(t, reg, func(c *Config) {
				c.SubjectNameStrategy, c.KeySubjectNameStrategy, c.IsKey = tt.strategy, tt.strategy, tt.isKey
			})
			if _, err := c.FromConnect("points", nil, pointSchema, pt(1, nil)); err != nil {
				t.Fatal(err)
			}
			if len(reg.subjects) != 1 || reg.subjects[tt.want] == nil {
				t.Errorf("subjects %v, want %s", reg.subjects, tt.want)
			}
		})
	}
	if got := RecordNameStrategy.Subject("t", false, typeName(avro.NewPrimitiveSchema(avro.String, nil))); got != "string" {
		t.Errorf("record name of a string schema = %q", got)
	}
}

// TestSchemaEvolution reads records written with an older schema: with the writer's schema by
// default, with the subject's latest schema (defaults filled in) under use.latest.version.
func TestSchemaEvolution(t *testing.T) {
	v1 := `{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"}]}`
	v2 := `{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},` +
		`{"name":"email","type":["null","string"],"default":null},{"name":"age","type":"int","default":18}]}`
	reg := newFakeRegistry()
	id1 := reg.add("users-value", 0, v1)
	id2 := reg.add("users-value", 0, v2)
	old := append([]byte{0, 0, 0, 0, byte(id1)}, 0x06, 'A', 'n', 'n')
	cur := append([]byte{0, 0, 0, 0, byte(id2)}, 0x06, 'B', 'o', 'b', 0x02, 0x02, 'b', 0x14)

	plain := newConverter(t, reg, nil)
	s, v, err := plain.ToConnect("users", nil, old)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Fields) != 1 || v.(*record.StructValue).Values[0] != "Ann" {
		t.Errorf("writer schema read: %+v %s", s, show(v))
	}

	latest := newConverter(t, reg, func(c *Config) { c.UseLatestVersion = true })
	for _, tc := range []struct {
		data []byte
		want []any
	}{
		{old, []any{"Ann", nil, int32(18)}},
		{cur, []any{"Bob", "b", int32(10)}},
	} {
		s, v, err := latest.ToConnect("users", nil, tc.data)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Fields) != 3 || !equalData(v.(*record.StructValue).Values, tc.want) {
			t.Errorf("latest schema read: %+v %s, want %v", s, show(v), tc.want)
		}
		if s.Fields[2].Schema.Default != int32(18) {
			t.Errorf("age default %#v", s.Fields[2].Schema.Default)
		}
	}
	if n := reg.Calls("Latest"); n != 1 {
		t.Errorf("Latest called %d times, want 1", n)
	}
}

func TestConfigFromProps(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		want    func(Config) bool
		errWith string
	}{
		{"defaults", map[string]string{"schema.registry.url": "http://r:8081"}, func(c Config) bool {
			return c.AutoRegisterSchemas && !c.UseLatestVersion && c.Strategy() == TopicNameStrategy && c.Registry["schema.registry.url"] == "http://r:8081"
		}, ""},
		{"all", map[string]string{
			"schema.registry.url": "http://r", "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "u:p",
			"bearer.auth.token": "tok", "schema.registry.ssl.truststore.location": "/ca.pem",
			"auto.register.schemas": "FALSE", "use.latest.version": "true", "latest.compatibility.strict": "false",
			"value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy",
			"key.subject.name.strategy":   "TopicRecordNameStrategy", "schemas.cache.size": "10",
		}, func(c Config) bool {
			return !c.AutoRegisterSchemas && c.UseLatestVersion && c.SubjectNameStrategy == RecordNameStrategy &&
				c.KeySubjectNameStrategy == TopicRecordNameStrategy && c.SchemasCacheSize == 10 && len(c.Registry) == 5 &&
				c.Registry["basic.auth.user.info"] == "u:p"
		}, ""},
		{"no url", map[string]string{}, nil, "schema.registry.url: required"},
		{"unknown", map[string]string{"schema.registry.url": "http://r", "schemas.enable": "true"}, nil, "schemas.enable: unknown AvroConverter setting"},
		{"bad bool", map[string]string{"schema.registry.url": "http://r", "auto.register.schemas": "yes"}, nil, "auto.register.schemas: must be true or false"},
		{"bad strategy", map[string]string{"schema.registry.url": "http://r", "value.subject.name.strategy": "Foo"}, nil, "value.subject.name.strategy: unknown subject name strategy"},
		{"bad cache", map[string]string{"schema.registry.url": "http://r", "schemas.cache.size": "-1"}, nil, "schemas.cache.size: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromProps(tt.props)
			if tt.errWith != "" {
				if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), tt.errWith) {
					t.Errorf("error %v, want BadConfig %q", err, tt.errWith)
				}
				return
			}
			if err != nil || !tt.want(c) {
				t.Errorf("ConfigFromProps = %+v, %v", c, err)
			}
		})
	}
}

// TestForeignSchemas reads records whose schemas were not made by Connect: every Avro logical
// type, enums, fixed, multi-type unions, arrays of records, defaults.
func TestForeignSchemas(t *testing.T) {
	day := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		schema string
		native any // what avro.Marshal writes
		check  func(s *record.Schema, v any) bool
	}{
		{"uuid", `{"type":"string","logicalType":"uuid"}`, "0b5e5f8c-3c2a-4d7e-9a63-0c3f0d1b2a99",
			func(s *record.Schema, v any) bool {
				return s.Type == record.String && v == "0b5e5f8c-3c2a-4d7e-9a63-0c3f0d1b2a99"
			}},
		{"date", `{"type":"int","logicalType":"date"}`, day,
			func(s *record.Schema, v any) bool { return s.Name == record.DateName && v.(time.Time).Equal(day) }},
		{"time-millis", `{"type":"int","logicalType":"time-millis"}`, 90 * time.Minute,
			func(s *record.Schema, v any) bool {
				return s.Name == record.TimeName && v.(time.Time).Equal(record.Epoch.Add(90*time.Minute))
			}},
		{"time-micros", `{"type":"long","logicalType":"time-micros"}`, 1500 * time.Microsecond,
			func(s *record.Schema, v any) bool {
				return s.Name == record.TimeName && s.Type == record.Int32 && v.(time.Time).Equal(record.Epoch.Add(1500*time.Microsecond))
			}},
		{"timestamp-millis", `{"type":"long","logicalType":"timestamp-millis"}`, day.Add(time.Millisecond),
			func(s *record.Schema, v any) bool {
				return s.Name == record.TimestampName && v.(time.Time).Equal(day.Add(time.Millisecond))
			}},
		{"timestamp-micros", `{"type":"long","logicalType":"timestamp-micros"}`, day.Add(3 * time.Microsecond),
			func(s *record.Schema, v any) bool {
				return s.Name == record.TimestampName && v.(time.Time).Equal(day.Add(3*time.Microsecond))
			}},
		{"fixed decimal", `{"type":"fixed","name":"Money","size":4,"logicalType":"decimal","precision":9,"scale":2}`, ratOf(-12345, 100),
			func(s *record.Schema, v any) bool {
				return s.Name == record.DecimalName && s.Parameters["scale"] == "2" && s.Parameters[PrecisionParameter] == "9" &&
					v.(record.Decimal).String() == "-123.45"
			}},
		{"enum", `{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","CLUBS"]}`, "CLUBS",
			func(s *record.Schema, v any) bool {
				return s.Type == record.String && s.Parameters[EnumParameter] == "Suit" && s.Parameters[EnumSymbolsParameter] == "SPADES,HEARTS,CLUBS" && v == "CLUBS"
			}},
		{"fixed", `{"type":"fixed","name":"com.x.Id","size":2}`, [2]byte{7, 9},
			func(s *record.Schema, v any) bool {
				return s.Type == record.Bytes && s.Name == "com.x.Id" && bytes.Equal(v.([]byte), []byte{7, 9})
			}},
		{"union string|int", `["string","int"]`, map[string]any{"int": 5},
			func(s *record.Schema, v any) bool {
				sv := v.(*record.StructValue)
				return s.Name == UnionName && !s.Optional && s.Fields[0].Name == "string" && s.Fields[1].Name == "int" &&
					sv.Values[0] == nil && sv.Values[1] == int32(5)
			}},
		{"union with record and uuid", `["null",{"type":"string","logicalType":"uuid"},{"type":"record","name":"a.R","fields":[{"name":"f","type":"long"}]}]`,
			map[string]any{"a.R": map[string]any{"f": int64(3)}},
			func(s *record.Schema, v any) bool {
				sv := v.(*record.StructValue)
				return s.Optional && s.Fields[1].Name == "R" && sv.Values[1].(*record.StructValue).Values[0] == int64(3)
			}},
		{"null last", `["long","null"]`, map[string]any{"long": int64(-1)},
			func(s *record.Schema, v any) bool { return s.Optional && s.Type == record.Int64 && v == int64(-1) }},
		{"map of arrays", `{"type":"map","values":{"type":"array","items":"int"}}`, map[string]any{"b": []any{1}, "a": []any{}},
			func(s *record.Schema, v any) bool {
				m := v.([]record.MapEntry)
				if len(m) == 2 && m[0].Key == "b" {
					m[0], m[1] = m[1], m[0]
				}
				return s.Type == record.Map && len(m) == 2 && m[0].Key == "a" && equalData(m[1].Value, []any{int32(1)})
			}},
		{"record defaults", `{"type":"record","name":"D","fields":[{"name":"s","type":"string","default":"x"},{"name":"l","type":"long","default":5},` +
			`{"name":"d","type":"double","default":1.5},{"name":"b","type":"bytes"},{"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},` +
			`{"name":"m","type":{"type":"map","values":"boolean"},"default":{"k":true}},{"name":"o","type":["null","int"],"default":null}]}`,
			map[string]any{"s": "y", "l": int64(1), "d": 2.0, "b": []byte{1}, "a": []any{}, "m": map[string]any{}, "o": nil},
			func(s *record.Schema, v any) bool {
				f := s.Fields
				return f[0].Schema.Default == "x" && f[1].Schema.Default == int64(5) && f[2].Schema.Default == 1.5 &&
					f[3].Schema.Default == nil && equalData(f[4].Schema.Default, []any{int32(1), int32(2)}) &&
					equalData(f[5].Schema.Default, []record.MapEntry{{Key: "k", Value: true}}) && f[6].Schema.Default == nil &&
					v.(*record.StructValue).Values[0] == "y"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := avro.ParseWithCache(tt.schema, "", &avro.SchemaCache{})
			if err != nil {
				t.Fatal(err)
			}
			payload, err := avro.Marshal(a, tt.native)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			reg := newFakeRegistry()
			id := reg.add("t-value", 0, tt.schema)
			c := newConverter(t, reg, nil)
			s, v, err := c.ToConnect("t", nil, append([]byte{0, 0, 0, 0, byte(id)}, payload...))
			if err != nil {
				t.Fatalf("ToConnect: %v", err)
			}
			if !tt.check(s, v) {
				t.Errorf("got schema %+v value %s", s, show(v))
			}
			// What was read writes back (through SchemaFromConnect) and reads the same again.
			w := newConverter(t, reg, nil)
			data, err := w.FromConnect("t2", nil, s, v)
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			s2, v2, err := c.ToConnect("t2", nil, data)
			if err != nil {
				t.Fatal(err)
			}
			if !schemaEqual(s2, s) && tt.name != "time-micros" && tt.name != "timestamp-micros" {
				t.Errorf("schema after a round trip %+v, want %+v", s2, s)
			}
			if !equalData(v2, v) && !strings.HasSuffix(tt.name, "micros") {
				t.Errorf("value after a round trip %s, want %s", show(v2), show(v))
			}
		})
	}
}

func TestRecursiveSchema(t *testing.T) {
	a, err := avro.ParseWithCache(`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}`, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SchemaToConnect(a); err == nil || !strings.Contains(err.Error(), "recursive") {
		t.Errorf("SchemaToConnect of a recursive schema: %v", err)
	}
}

func TestFixedVectorsHex(t *testing.T) {
	// One record of every Connect primitive, written by the converter as schema id 1 and checked
	// against bytes computed by hand from the Avro specification.
	s := &record.Schema{Type: record.Struct, Name: "v.All", Fields: []record.Field{
		{Name: "b", Index: 0, Schema: record.BooleanSchema},
		{Name: "i", Index: 1, Schema: record.Int32Schema},
		{Name: "l", Index: 2, Schema: record.Int64Schema},
		{Name: "f", Index: 3, Schema: record.Float32Schema},
		{Name: "d", Index: 4, Schema: record.Float64Schema},
		{Name: "s", Index: 5, Schema: record.OptionalString},
		{Name: "n", Index: 6, Schema: record.OptionalBytes},
		{Name: "dec", Index: 7, Schema: decimalSchema},
	}}
	v := &record.StructValue{Schema: s, Values: []any{true, int32(-1), int64(64), float32(1), 2.0, "é", nil, dec(256, 2)}}
	c := newConverter(t, newFakeRegistry(), nil)
	data, err := c.FromConnect("all", nil, s, v)
	if err != nil {
		t.Fatal(err)
	}
	want := "0000000001" + // magic, id 1
		"01" + // true
		"01" + // -1 zig-zag
		"8001" + // 64 zig-zag = 128
		"0000803f" + // 1.0f little endian
		"0000000000000040" + // 2.0 little endian
		"02" + "04c3a9" + // union branch 1, "é" (2 bytes)
		"00" + // union branch 0 (null)
		"04" + "0100" // decimal 2.56 -> unscaled 256 = 01 00
	if got := hex.EncodeToString(data); got != want {
		t.Errorf("FromConnect = %s\n          want %s", got, want)
	}
}

func ratOf(a, b int64) *big.Rat { return big.NewRat(a, b) }

// TestUseLatestVersionOnWrite writes with the subject's latest schema instead of registering.
func TestUseLatestVersionOnWrite(t *testing.T) {
	reg := newFakeRegistry()
	a, _ := SchemaFromConnect(pointSchema)
	text, _ := a.(interface{ MarshalJSON() ([]byte, error) }).MarshalJSON()
	id := reg.add("p-value", 5, string(text))
	c := newConverter(t, reg, func(c *Config) { c.UseLatestVersion, c.AutoRegisterSchemas = true, false })
	data, err := c.FromConnect("p", nil, pointSchema, pt(1, int32(2)))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 0, 0, 0, byte(id), 2, 2, 4}; !bytes.Equal(data, want) {
		t.Errorf("FromConnect = % x, want % x", data, want)
	}
	// A newer latest schema with an extra field (with a default) and the fields in another order:
	// the record is written with it, by field name.
	id2 := reg.add("p-value", 6, `{"type":"record","name":"com.example.Point","fields":[{"name":"y","type":["null","int"],"default":null},{"name":"x","type":"int"},{"name":"z","type":"long","default":0}]}`)
	c2 := newConverter(t, reg, func(c *Config) { c.UseLatestVersion = true })
	data, err = c2.FromConnect("p", nil, pointSchema, pt(1, int32(2)))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 0, 0, 0, byte(id2), 2, 4, 2, 0}; !bytes.Equal(data, want) {
		t.Errorf("FromConnect under the latest schema = % x, want % x", data, want)
	}
	if n := reg.Calls("Register"); n != 0 {
		t.Errorf("Register called %d times under use.latest.version", n)
	}
}

// withoutVersion returns s (and v's struct schema) with the top-level version set to version.
func withoutVersion(s *record.Schema, v any, version int32) (*record.Schema, any) {
	c := *s
	c.Version = version
	if sv, ok := v.(*record.StructValue); ok && sv.Schema == s {
		cv := *sv
		cv.Schema = &c
		return &c, &cv
	}
	return &c, v
}
