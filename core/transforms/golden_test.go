package transforms_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/transforms"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./core/transforms -run %s -update)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file: run go test ./core/transforms -run %s -update and review the diff\ngot:\n%s", path, t.Name(), got)
	}
}

// The README's table of transforms and predicates.
func TestMarkdownGolden(t *testing.T) {
	golden(t, "transforms.md", []byte(transforms.Default().Markdown()))
}
