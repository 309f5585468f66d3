// Package golden compares test output with golden files (usually under a package's testdata
// directory) and rewrites them when the tests run with -update.
//
// The package defines the -update flag for every test binary that imports it: a package whose
// tests use Check must not define its own.
package golden

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with the tests' output (review the diff before committing)")

// Check compares got with the golden file at path (relative to the package's directory, like
// testdata/name.golden) and returns the file's content. Under go test -update it writes got to
// path first, so the check passes and the next run compares against it. A missing or unreadable
// file stops the test; a difference fails it and the test goes on.
func Check(t testing.TB, path string, got []byte) []byte {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("rewriting golden file: %v", err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run '%s' -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -run '%s' -update after checking the output):\n--- got ---\n%s\n--- want ---\n%s",
			path, t.Name(), got, want)
	}
	return want
}
