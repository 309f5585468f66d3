package main

import (
	"context"
	"os"
	"strings"
)

// exampleEnv is a process whose environment is environ and whose output, errors included, is
// the example's output.
func exampleEnv(environ ...string) *env {
	getenv := func(name string) string {
		for _, kv := range environ {
			if n, v, ok := strings.Cut(kv, "="); ok && n == name {
				return v
			}
		}
		return ""
	}
	return &env{stdout: os.Stdout, stderr: os.Stdout, getenv: getenv, environ: func() []string { return environ }}
}

// The validate command names every problem of a configuration at once, with where it came from.
func Example_validate() {
	run(context.Background(), exampleEnv(
		"CONNECT_CONNECTOR_NAME=orders-to-s3",
		"CONNECT_S3_COMPRESSION_TYPE=zstd",
		"CONNECT_FLUSH_SIZ=500",
	), []string{"validate"})
	// Output:
	// s3-sink configuration: 3 problems
	//   s3.bucket.name: required setting is missing (set CONNECT_S3_BUCKET_NAME)
	//   s3.compression.type: "zstd" is not one of none, gzip (from CONNECT_S3_COMPRESSION_TYPE)
	//   flush.siz: unknown setting "flush.siz", did you mean flush.size? (from CONNECT_FLUSH_SIZ)
	// Fix them and run 'lambda-connect validate' again; 'lambda-connect validate --help' says where settings come from, and the README's Configuration section lists every setting.
}

// The events command prints the event Lambda's event-source mapping would send, for
// sam local invoke -e.
func Example_events() {
	run(context.Background(), exampleEnv(), []string{"events", "kafka-self-managed", "--compact", "--records", "1",
		"--topic", "orders", "--partition", "3", "--offset", "41", "--key", "order-1", "--value", `{"id":1}`,
		"--header", "source=web", "--timestamp", "2024-06-10T12:00:00Z", "--bootstrap-servers", "kafka-1:9092"})
	// Output:
	// {"eventSource":"SelfManagedKafka","bootstrapServers":"kafka-1:9092","records":{"orders-3":[{"topic":"orders","partition":3,"offset":41,"timestamp":1718020800000,"timestampType":"CREATE_TIME","key":"b3JkZXItMQ==","value":"eyJpZCI6MX0=","headers":[{"source":[119,101,98]}]}]}}
}
