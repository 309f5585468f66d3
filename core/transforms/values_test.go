package transforms_test

import (
	"math"
	"math/big"
	"reflect"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// Cast and TimestampConverter, after Connect's CastTest and TimestampConverterTest.

func TestCastWholeValue(t *testing.T) {
	tests := []struct {
		spec string
		in   any
		want any
	}{
		{"int8", int32(42), int8(42)},
		{"int16", int32(42), int16(42)},
		{"int32", int32(42), int32(42)},
		{"int64", int32(42), int64(42)},
		{"float32", int32(42), float32(42)},
		{"float64", int32(42), float64(42)},
		{"boolean", int32(42), true},
		{"boolean", int32(0), false},
		{"string", int32(42), "42"},
		{"INT8", int32(300), int8(44)}, // Java's narrowing wraps
		{"int32", float64(3.9e10), int32(math.MaxInt32)},
		{"int64", math.NaN(), int64(0)},
		{"string", float64(1e7), "1.0E7"},
		{"string", float32(0.1), "0.1"},
		{"string", float64(0.001), "0.001"},
		{"string", float64(1e-4), "1.0E-4"},
		{"string", true, "true"},
		{"string", []byte{0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10}, "/ty6mHZUMhA="},
		{"int32", "42", int32(42)},
		{"float32", " 1.5f ", float32(1.5)},
		{"float64", "-Infinity", math.Inf(-1)},
		{"boolean", "TRUE", true},
		{"boolean", "yes", false},
		{"int32", true, int32(1)},
	}
	for _, tt := range tests {
		schemas := map[string]*record.Schema{"schemaless": nil}
		if s := schemaFor(tt.in); s != nil {
			schemas["schema'd"] = s
		}
		for mode, s := range schemas {
			r := rec(tt.in)
			r.ValueSchema = s
			out := apply(t, one(t, "Cast$Value", "spec="+tt.spec), r)
			if !reflect.DeepEqual(out.ValueData, tt.want) {
				t.Errorf("%s cast %#v to %s = %#v, want %#v", mode, tt.in, tt.spec, out.ValueData, tt.want)
			}
			if s == nil && out.ValueSchema != nil || s != nil && (out.ValueSchema == nil || out.ValueSchema.Type != schemaFor(tt.want).Type) {
				t.Errorf("%s cast to %s: schema %v", mode, tt.spec, out.ValueSchema)
			}
		}
	}
	// RawJSON is parsed first: a JSON number is a long.
	if got := apply(t, one(t, "Cast$Key", "spec=int8"), keyRec(record.RawJSON("42"))).KeyData; got != int8(42) {
		t.Errorf("RawJSON key cast = %#v", got)
	}
	applyErr(t, one(t, "Cast$Value", "spec=int8"), rec([]any{"foo"}), "does not support casting from ARRAY")
	applyErr(t, one(t, "Cast$Value", "spec=int8"), rec("300"), "value (300) was out of range for requested data type")
	applyErr(t, one(t, "Cast$Value", "spec=int32"), rec([]byte("x")), "unexpected type in Cast transformation: bytes")
}

func schemaFor(v any) *record.Schema {
	switch v.(type) {
	case int8:
		return int8S
	case int16:
		return int16S
	case int32:
		return int32S
	case int64:
		return int64S
	case float32:
		return f32S
	case float64:
		return f64S
	case bool:
		return boolS
	case string:
		return strS
	case []byte:
		return bytesS
	}
	return nil
}

func TestCastNullsPassThrough(t *testing.T) {
	c := one(t, "Cast$Value", "spec=foo:int64")
	for _, s := range []*record.Schema{nil, strS} {
		r := rec(nil)
		r.ValueSchema = s
		if out := apply(t, c, r); !reflect.DeepEqual(out, r) {
			t.Errorf("null value changed: %+v", out)
		}
	}
}

func TestCastWholeValueDefault(t *testing.T) {
	s := &record.Schema{Type: record.Float32, Default: float32(-42.125)}
	r := rec(float32(42.125))
	r.ValueSchema = s
	out := apply(t, one(t, "Cast$Value", "spec=int32"), r)
	if out.ValueData != int32(42) || out.ValueSchema.Type != record.Int32 || out.ValueSchema.Default != int32(-42) {
		t.Errorf("cast = %v %+v", out.ValueData, out.ValueSchema)
	}
	dec := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "0"}}
	r = rec(record.Decimal{Unscaled: big.NewInt(42)})
	r.ValueSchema = dec
	out = apply(t, one(t, "Cast$Value", "spec=string"), r)
	if out.ValueData != "42" || out.ValueSchema.Name != "" {
		t.Errorf("decimal to string = %v %+v", out.ValueData, out.ValueSchema)
	}
}

func TestCastFieldsWithSchema(t *testing.T) {
	day := ms(86400000)
	dec := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "0"}}
	s, sv := structOf(
		"int8", int8S, int8(8),
		"int16", &record.Schema{Type: record.Int16, Optional: true}, int16(16),
		"int32", &record.Schema{Type: record.Int32, Default: int32(2)}, int32(32),
		"int64", int64S, int64(64),
		"float32", f32S, float32(32),
		"float64", &record.Schema{Type: record.Float64, Default: -1.125}, float64(-64),
		"boolean", boolS, true,
		"string", strS, "42",
		"bigdecimal", dec, record.Decimal{Unscaled: big.NewInt(42)},
		"date", dateS, day,
		"optional", &record.Schema{Type: record.Float32, Optional: true}, nil,
		"timestamp", tsS, ms(0),
		"bytes", bytesS, []byte{0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10},
	)
	r := rec(sv)
	r.ValueSchema = s
	c := one(t, "Cast$Value", "spec=int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,string:int32,bigdecimal:string,date:string,optional:int32,bytes:string")
	out := apply(t, c, r)
	want := []any{int16(8), int32(16), int64(32), true, float64(32), true, int8(1), int32(42), "42", "1970-01-02", nil, ms(0), "/ty6mHZUMhA="}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v\nwant %#v", got, want)
	}
	us := out.ValueSchema
	if got := fieldNames(us); !reflect.DeepEqual(got, []string{"int8:int16", "int16:int32?", "int32:int64", "int64:boolean", "float32:double",
		"float64:boolean", "boolean:int8", "string:int32", "bigdecimal:string", "date:string", "optional:int32?", "timestamp:int64(Timestamp)", "bytes:string"}) {
		t.Errorf("fields = %v", got)
	}
	if us.Fields[2].Schema.Default != int64(2) || us.Fields[5].Schema.Default != true {
		t.Errorf("defaults = %v %v", us.Fields[2].Schema.Default, us.Fields[5].Schema.Default)
	}
}

func TestCastLogicalToPrimitive(t *testing.T) {
	decSchema := &record.Schema{Type: record.Bytes, Name: record.DecimalName, Parameters: map[string]string{"scale": "0"}}
	s, sv := structOf(
		"date_to_int32", dateS, ms(86400000),
		"timestamp_to_int64", tsS, ms(0),
		"time_to_int64", timeS, ms(1),
		"decimal_to_int32", decSchema, record.Decimal{Unscaled: big.NewInt(math.MaxInt32 + 1)},
		"timestamp_to_float64", tsS, ms(math.MaxInt64),
		"null_timestamp_to_int32", &record.Schema{Type: record.Int64, Name: record.TimestampName, Optional: true}, nil,
	)
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, one(t, "Cast$Value", "spec=date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,decimal_to_int32:int32,timestamp_to_float64:float64,null_timestamp_to_int32:int32"), r)
	want := []any{int32(1), int64(0), int64(1), int32(math.MinInt32), 9.223372036854776e18, nil}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v, want %#v", got, want)
	}
	// And to strings, as Values.dateFormatFor formats them.
	s, sv = structOf("date", dateS, ms(86400000), "time", timeS, ms(3600000), "timestamp", tsS, ms(86400001))
	r = rec(sv)
	r.ValueSchema = s
	out = apply(t, one(t, "Cast$Value", "spec=date:string,time:string,timestamp:string"), r)
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{"1970-01-02", "01:00:00.000Z", "1970-01-02T00:00:00.001Z"}) {
		t.Errorf("values = %#v", got)
	}
}

func TestCastFieldsSchemaless(t *testing.T) {
	c := one(t, "Cast$Value", "spec=int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,string:int32,missing:int8")
	value := map[string]any{"int8": int8(8), "int16": int16(16), "int32": int32(32), "int64": int64(64), "float32": float32(32), "float64": float64(-64), "boolean": true, "string": "42"}
	out := apply(t, c, rec(value)).ValueData
	want := map[string]any{"int8": int16(8), "int16": int32(16), "int32": int64(32), "int64": true, "float32": float64(32), "float64": true, "boolean": int8(1), "string": int32(42), "missing": nil}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("cast = %#v\nwant %#v", out, want)
	}
	jsonEqual(t, apply(t, one(t, "Cast$Value", "spec=id:string,score:float64"), rec(record.RawJSON(`{"id":46290,"score":4761}`))).ValueData, `{"id":"46290","score":4761.0}`)
}

func TestParseCastSpec(t *testing.T) {
	for _, bad := range [][]string{{}, {"foo:faketype"}, {"foo:array"}, {"foo:bytes"}, {"foo:int8:extra"}, {"foo:int8", "int32"}, {"struct"}} {
		if _, err := transforms.ParseCastSpec(bad); err == nil {
			t.Errorf("ParseCastSpec(%q) accepted", bad)
		}
	}
	spec, err := transforms.ParseCastSpec([]string{" a : Float32 ", "b:BOOLEAN"})
	if err != nil || !reflect.DeepEqual(spec.Fields, []transforms.FieldCast{{Field: "a", Type: record.Float32}, {Field: "b", Type: record.Boolean}}) {
		t.Errorf("ParseCastSpec = %+v, %v", spec, err)
	}
}

const (
	dateOnly     = int64(86400000)
	timeOnly     = int64(1234)
	datePlusTime = dateOnly + timeOnly // 1970-01-02T00:00:01.234Z
	datePlusStr  = "1970 01 02 00 00 01 234 UTC"
	stringFormat = "format=yyyy MM dd HH mm ss SSS z"
)

func TestTimestampConverterSchemaless(t *testing.T) {
	tests := []struct {
		target string
		in     any
		want   any
	}{
		{"Timestamp", ms(datePlusTime), ms(datePlusTime)},
		{"Date", ms(datePlusTime), ms(dateOnly)},
		{"Time", ms(datePlusTime), ms(timeOnly)},
		{"unix", ms(datePlusTime), datePlusTime},
		{"string", ms(datePlusTime), datePlusStr},
		{"Timestamp", ms(dateOnly), ms(dateOnly)},
		{"Timestamp", datePlusTime, ms(datePlusTime)},
		{"Timestamp", datePlusStr, ms(datePlusTime)},
		{"Timestamp", record.RawJSON(`"1970 01 02 00 00 01 234 UTC"`), ms(datePlusTime)},
		{"string", record.RawJSON(`86401234`), datePlusStr},
		{"Date", ms(-1), ms(-86400000)}, // days are floored
		{"Time", ms(-1), ms(86399999)},
		{"unix", nil, nil},
	}
	for _, tt := range tests {
		c := one(t, "TimestampConverter$Value", "target.type="+tt.target, stringFormat)
		out := apply(t, c, rec(tt.in))
		if out.ValueSchema != nil || !reflect.DeepEqual(out.ValueData, tt.want) {
			t.Errorf("%v to %s = %v %#v, want %#v", tt.in, tt.target, out.ValueSchema, out.ValueData, tt.want)
		}
	}
	// A field of a map; a null field stays null.
	c := one(t, "TimestampConverter$Value", "target.type=string", "field=ts", "format=yyyy-MM-dd")
	jsonEqual(t, apply(t, c, rec(record.RawJSON(`{"ts":86401234,"other":1}`))).ValueData, `{"ts":"1970-01-02","other":1}`)
	jsonEqual(t, apply(t, c, rec(map[string]any{"ts": nil})).ValueData, `{"ts":null}`)
	if out := apply(t, c, rec(nil)); out.ValueData != nil {
		t.Errorf("null value = %v", out.ValueData)
	}
	applyErr(t, c, rec(map[string]any{"ts": int32(1)}), "TimestampConverter does not support int32 objects as timestamps")
	applyErr(t, one(t, "TimestampConverter$Value", "target.type=unix", "format=yyyy"), rec("x2020"), "does not match pattern (yyyy)")
}

func TestTimestampConverterUnixPrecision(t *testing.T) {
	micros, nanos, seconds := datePlusTime*1000+123, (datePlusTime*1000+123)*1000+456, datePlusTime/1000
	for _, tt := range []struct {
		precision string
		unix      int64
		back      int64 // the unix value converted back from the Timestamp
	}{
		{"milliseconds", datePlusTime, datePlusTime},
		{"microseconds", micros, datePlusTime * 1000},
		{"nanoseconds", nanos, datePlusTime * 1000000},
		{"seconds", seconds, seconds},
	} {
		toTS := one(t, "TimestampConverter$Value", "target.type=Timestamp", "unix.precision="+tt.precision)
		got := apply(t, toTS, rec(tt.unix)).ValueData.(interface{ UnixMilli() int64 }).UnixMilli()
		want := datePlusTime
		if tt.precision == "seconds" {
			want = seconds * 1000
		}
		if got != want {
			t.Errorf("%s %d to Timestamp = %d ms, want %d", tt.precision, tt.unix, got, want)
		}
		toUnix := one(t, "TimestampConverter$Value", "target.type=unix", "unix.precision="+tt.precision)
		if got := apply(t, toUnix, rec(ms(datePlusTime))).ValueData; got != tt.back {
			t.Errorf("Timestamp to %s = %v, want %d", tt.precision, got, tt.back)
		}
	}
}

func TestTimestampConverterWithSchema(t *testing.T) {
	optTS := &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1, Optional: true}
	tests := []struct {
		target     string
		schema     *record.Schema
		in, want   any
		wantSchema string
	}{
		{"Timestamp", tsS, ms(datePlusTime), ms(datePlusTime), "int64(Timestamp)"},
		{"Date", tsS, ms(datePlusTime), ms(dateOnly), "int32(Date)"},
		{"Time", tsS, ms(datePlusTime), ms(timeOnly), "int32(Time)"},
		{"unix", tsS, ms(datePlusTime), datePlusTime, "int64"},
		{"string", tsS, ms(datePlusTime), datePlusStr, "string"},
		{"Timestamp", dateS, ms(dateOnly), ms(dateOnly), "int64(Timestamp)"},
		{"Timestamp", int64S, datePlusTime, ms(datePlusTime), "int64(Timestamp)"},
		{"Timestamp", strS, datePlusStr, ms(datePlusTime), "int64(Timestamp)"},
		{"unix", optTS, nil, nil, "int64?"},
	}
	for _, tt := range tests {
		c := one(t, "TimestampConverter$Value", "target.type="+tt.target, stringFormat)
		r := rec(tt.in)
		r.ValueSchema = tt.schema
		out := apply(t, c, r)
		wrap := &record.Schema{Type: record.Struct, Fields: []record.Field{{Name: "v", Schema: out.ValueSchema}}}
		if got := fieldNames(wrap)[0]; got != "v:"+tt.wantSchema || !reflect.DeepEqual(out.ValueData, tt.want) {
			t.Errorf("%v (%s) to %s = %s %#v, want %s %#v", tt.in, tt.schema.Type, tt.target, got, out.ValueData, tt.wantSchema, tt.want)
		}
	}
	// A field of a struct.
	s, sv := structOf("ts", tsS, ms(datePlusTime), "other", strS, "test")
	r := rec(sv)
	r.ValueSchema = s
	out := apply(t, one(t, "TimestampConverter$Value", "target.type=Date", "field=ts"), r)
	if got := fieldNames(out.ValueSchema); !reflect.DeepEqual(got, []string{"ts:int32(Date)", "other:string"}) {
		t.Errorf("fields = %v", got)
	}
	if got := out.ValueData.(*record.StructValue).Values; !reflect.DeepEqual(got, []any{ms(dateOnly), "test"}) {
		t.Errorf("values = %#v", got)
	}
	bad, badv := structOf("ts", boolS, true)
	r = rec(badv)
	r.ValueSchema = bad
	applyErr(t, one(t, "TimestampConverter$Value", "target.type=Date", "field=ts"), r, "does not correspond to a known timestamp type format")
}

func TestTimestampConverterKey(t *testing.T) {
	c := one(t, "TimestampConverter$Key", "target.type=string", "format=yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
	out := apply(t, c, keyRec(ms(datePlusTime)))
	if out.KeyData != "1970-01-02T00:00:01.234Z" || out.ValueData != "v" {
		t.Errorf("key = %v, value = %v", out.KeyData, out.ValueData)
	}
}
