package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of reporting them.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestSomething/case" }

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// check runs Check on a recorder, in a goroutine of its own so that Fatalf can stop it.
func check(path string, got string) (r *recorder, want []byte) {
	r = &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		want = Check(r, path, []byte(got))
	}()
	<-done
	return r, want
}

// setUpdate sets the -update flag for the rest of the test.
func setUpdate(t *testing.T, v bool) {
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

func TestCheck(t *testing.T) {
	setUpdate(t, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.golden")
	if err := os.WriteFile(path, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r, want := check(path, "hello\n")
	if len(r.errors)+len(r.fatals) != 0 || string(want) != "hello\n" {
		t.Errorf("same output: errors %q, fatals %q, returned %q", r.errors, r.fatals, want)
	}

	r, want = check(path, "bye\n")
	if len(r.errors) != 1 || len(r.fatals) != 0 || string(want) != "hello\n" {
		t.Fatalf("different output: errors %q, fatals %q, returned %q", r.errors, r.fatals, want)
	}
	for _, s := range []string{path, "bye", "hello", "-run 'TestSomething/case' -update"} {
		if !strings.Contains(r.errors[0], s) {
			t.Errorf("message %q does not contain %q", r.errors[0], s)
		}
	}

	r, _ = check(filepath.Join(dir, "missing.golden"), "x")
	if len(r.errors) != 0 || len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "-update to create it") {
		t.Errorf("missing file: errors %q, fatals %q", r.errors, r.fatals)
	}
}

func TestCheckUpdate(t *testing.T) {
	setUpdate(t, true)
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.golden")
	if err := os.WriteFile(stale, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{stale, filepath.Join(dir, "new.golden")} {
		r, want := check(path, "new\n")
		if len(r.errors)+len(r.fatals) != 0 || string(want) != "new\n" {
			t.Errorf("%s: errors %q, fatals %q, returned %q", path, r.errors, r.fatals, want)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "new\n" {
			t.Errorf("%s after -update: %q, %v", path, b, err)
		}
	}

	r, _ := check(filepath.Join(dir, "no-such-dir", "x.golden"), "x")
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "rewriting golden file") {
		t.Errorf("unwritable file: errors %q, fatals %q", r.errors, r.fatals)
	}
}
