package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambda-connect/lambda-connect/core/config"
)

func exampleSpec() *config.Spec {
	return &config.Spec{
		Connector: "s3-sink",
		Keys: []config.Key{
			{Name: "s3.bucket.name", Type: config.String, Required: true, Doc: "The bucket."},
			{Name: "flush.size", Type: config.Int, Default: "1000", Doc: "Records per object."},
			{Name: "s3.compression.type", Type: config.String, Default: "none", Enum: []string{"none", "gzip"}},
		},
		Prefixes: []string{"value.converter."},
		Ignored:  []string{"connector.class", "tasks.max"},
	}
}

func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "s3-sink.properties")
	_ = os.WriteFile(file, []byte("connector.class=io.confluent.connect.s3.S3SinkConnector\nflush.size=500\n"), 0o644)

	c, err := config.Load(exampleSpec(), []string{
		"CONNECTOR_CONFIG_FILE=" + file,
		"CONNECT_S3_BUCKET_NAME=my-bucket",
		"CONNECT_FLUSH_SIZE=100", // the environment wins over the file
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE=false",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.String("s3.bucket.name"), c.Int("flush.size"), c.String("s3.compression.type"), c.IsSet("s3.compression.type"))
	fmt.Println(c.Sub("value.converter."))
	fmt.Println("ignored:", c.Ignored())
	// Output:
	// my-bucket 100 none false
	// map[schemas.enable:false]
	// ignored: [connector.class]
}

func ExampleSpec_Parse() {
	_, err := exampleSpec().Parse(map[string]string{
		"flush.size":          "abc",
		"s3.compression.type": "zstd",
		"s3.bukcet.name":      "my-bucket",
	})
	fmt.Println(err)

	var problems config.Problems
	if errors.As(err, &problems) {
		fmt.Println(problems.Keys())
	}
	// Output:
	// s3-sink configuration: 4 invalid settings: s3.bucket.name: required setting is missing (set CONNECT_S3_BUCKET_NAME); flush.size: "abc" is not an integer; s3.compression.type: "zstd" is not one of none, gzip; unknown setting "s3.bukcet.name", did you mean s3.bucket.name?
	// [s3.bucket.name flush.size s3.compression.type s3.bukcet.name]
}

func ExampleRenderBetween() {
	readme := []byte("## Settings\n<!-- BEGIN GENERATED s3-sink config -->\nstale\n<!-- END GENERATED s3-sink config -->\n")
	out, err := config.RenderBetween(readme, "BEGIN GENERATED s3-sink config", "END GENERATED s3-sink config", exampleSpec().Markdown())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// ## Settings
	// <!-- BEGIN GENERATED s3-sink config -->
	// | Setting | Type | Default | Valid values | SAM parameter | Description |
	// | --- | --- | --- | --- | --- | --- |
	// | `s3.bucket.name` | string | *required* |  |  | The bucket. |
	// | `flush.size` | int | `1000` |  |  | Records per object. |
	// | `s3.compression.type` | string | `none` | `none`, `gzip` |  |  |
	// <!-- END GENERATED s3-sink config -->
}
