package projection_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/core/projection"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func Example() {
	v1 := &record.Schema{Type: record.Struct, Name: "user", Version: 1, Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int32Schema}}}
	v2 := &record.Schema{Type: record.Struct, Name: "user", Version: 2, Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int64Schema},
		{Name: "plan", Index: 1, Schema: &record.Schema{Type: record.String, Default: "free"}}}}
	target, err := projection.Target(v1, v2, projection.Backward)
	if err != nil {
		panic(err)
	}
	out, err := projection.Project(&record.StructValue{Schema: v1, Values: []any{int32(7)}}, v1, target)
	if err != nil {
		panic(err)
	}
	fmt.Println(target.Version, out.(*record.StructValue).Values)
	// Output: 2 [7 free]
}
