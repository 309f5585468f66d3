package registrytest

import "github.com/lambda-connect/lambda-connect/core/record"

// StructOf returns a struct schema named name with fields, indexed in order.
func StructOf(name string, fields ...record.Field) *record.Schema {
	for i := range fields {
		fields[i].Index = i
	}
	return &record.Schema{Type: record.Struct, Name: name, Fields: fields}
}

// The Connect logical schemas the converters' tests use (Decimal of scale 2).
var (
	DecimalSchema   = &record.Schema{Type: record.Bytes, Name: record.DecimalName, Version: 1, Parameters: map[string]string{record.DecimalScaleParameter: "2"}}
	DateSchema      = &record.Schema{Type: record.Int32, Name: record.DateName, Version: 1}
	TimeSchema      = &record.Schema{Type: record.Int32, Name: record.TimeName, Version: 1}
	TimestampSchema = &record.Schema{Type: record.Int64, Name: record.TimestampName, Version: 1}
)
