// Package docs checks that the generated parts of README.md match the code they describe.
// Regenerate them with: go test ./test/docs -update
package docs

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/core/config"
)

var update = flag.Bool("update", false, "rewrite the generated sections of README.md")

const readme = "../../README.md"

func TestReadmeConfigTables(t *testing.T) {
	specs := []*config.Spec{s3sink.Spec(), s3source.Spec(), dynamodbsink.Spec()}
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got := doc
	for _, s := range specs {
		got, err = config.RenderBetween(got,
			"<!-- BEGIN GENERATED "+s.Connector+" config -->", "<!-- END GENERATED "+s.Connector+" config -->", s.Markdown())
		if err != nil {
			t.Fatalf("README.md: %v", err)
		}
	}
	if bytes.Equal(got, doc) {
		return
	}
	if *update {
		if err := os.WriteFile(readme, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md regenerated")
		return
	}
	t.Fatal("README.md's configuration tables are stale: run `go test ./test/docs -update` and commit README.md")
}

func TestReadmeStartsWithTheTwoCommands(t *testing.T) {
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.Index(doc, []byte("```sh\n"))
	if first < 0 || first > 1200 {
		t.Fatal("README.md does not open with a shell block")
	}
	block := doc[first : first+bytes.Index(doc[first+5:], []byte("```"))+5]
	for _, cmd := range []string{"go run ./cmd/lambda-connect dev --once", "make test"} {
		if !bytes.Contains(block, []byte(cmd)) {
			t.Errorf("README.md's first commands do not include %q", cmd)
		}
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(ci, []byte("make test")) {
		t.Error(".ci/run does not run the README's test command (make test)")
	}
}
