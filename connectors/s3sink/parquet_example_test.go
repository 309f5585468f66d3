package s3sink_test

import (
	"bytes"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// ParquetFormat derives the file's schema from the records' Connect schema, keeping field order.
func ExampleNewParquetFormat() {
	f, err := s3sink.NewParquetFormat("zstd")
	if err != nil {
		panic(err)
	}
	schema := &record.Schema{Type: record.Struct, Name: "user", Fields: []record.Field{
		{Name: "name", Index: 0, Schema: record.StringSchema},
		{Name: "age", Index: 1, Schema: &record.Schema{Type: record.Int16, Optional: true}},
	}}
	var buf bytes.Buffer
	w := f.NewWriter(&buf)
	for i, name := range []string{"ada", "alan"} {
		v := &record.StructValue{Schema: schema, Values: []any{name, int16(36 + i)}}
		if err := w.Write(record.Record{ValueSchema: schema, ValueData: v}); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	file, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Extension(), file.NumRows(), "rows")
	fmt.Print(file.Schema())
	// Output:
	// .parquet 2 rows
	// message user {
	// 	required binary name (STRING);
	// 	optional int32 age (INT(16,true));
	// }
}
