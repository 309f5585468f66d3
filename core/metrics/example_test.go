package metrics_test

import (
	"os"
	"time"

	"github.com/lambda-connect/lambda-connect/core/metrics"
)

func ExampleRecorder_Flush() {
	r := metrics.New(os.Stdout, "LambdaConnect", map[string]string{"Connector": "orders-s3"})
	r.SetClock(func() time.Time { return time.UnixMilli(1700000000000) })

	// During an invocation.
	r.Count("RecordsIn", 500)
	r.Bytes("BytesWritten", 65536)
	r.Milliseconds("BatchLatency", 812*time.Millisecond)

	// At its end: one line, then the counters start over.
	if err := r.Flush(map[string]string{"request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}); err != nil {
		panic(err)
	}
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"LambdaConnect","Dimensions":[["Connector"]],"Metrics":[{"Name":"BatchLatency","Unit":"Milliseconds"},{"Name":"BytesWritten","Unit":"Bytes"},{"Name":"RecordsIn","Unit":"Count"}]}]},"Connector":"orders-s3","BatchLatency":812,"BytesWritten":65536,"RecordsIn":500,"request_id":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}
}
