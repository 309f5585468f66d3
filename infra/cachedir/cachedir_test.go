package cachedir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestRoot(t *testing.T) {
	t.Setenv(EnvCache, "/env/root")
	for _, tc := range []struct{ in, want string }{{"/given", "/given"}, {"", "/env/root"}} {
		if got, err := Root(tc.in); err != nil || got != tc.want {
			t.Errorf("Root(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	t.Setenv(EnvCache, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	if got, err := Root(""); err != nil || filepath.Base(got) != "lambda-connect" {
		t.Errorf("Root() = %q, %v; want the user cache directory's lambda-connect", got, err)
	}
}

// hasDone is an entry's Complete: the directory holds a file named done.
func hasDone(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "done"))
	return err == nil
}

func fillDone(fills *atomic.Int32) func(context.Context, string) (string, error) {
	return func(_ context.Context, stage string) (string, error) {
		fills.Add(1)
		sub := filepath.Join(stage, "out")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return "", err
		}
		return sub, os.WriteFile(filepath.Join(sub, "done"), nil, 0o644)
	}
}

func TestEnsureFillsOnce(t *testing.T) {
	e := Entry{Dir: filepath.Join(t.TempDir(), "a", "v1"), Complete: hasDone}
	var fills atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Ensure(context.Background(), fillDone(&fills)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := e.Ensure(context.Background(), fillDone(&fills)); err != nil {
		t.Fatal(err)
	}
	if n := fills.Load(); n != 1 {
		t.Errorf("%d fills, want 1", n)
	}
	if !hasDone(e.Dir) {
		t.Error("entry incomplete")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(e.Dir), ".fill-*"))
	if len(left) != 0 {
		t.Errorf("staging directories left: %v", left)
	}
}

func TestEnsureFailures(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name     string
		leftover bool // a partial entry is at Dir before
		fill     func(context.Context, string) (string, error)
		wantErr  error
		complete bool
	}{
		{"fill fails", false, func(context.Context, string) (string, error) { return "", boom }, boom, false},
		{"fill incomplete", false, func(_ context.Context, stage string) (string, error) { return stage, nil }, nil, false},
		{"partial leftover replaced", true, func(_ context.Context, stage string) (string, error) {
			return stage, os.WriteFile(filepath.Join(stage, "done"), nil, 0o644)
		}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Dir: filepath.Join(t.TempDir(), "v1"), Complete: hasDone}
			if tc.leftover {
				if err := os.MkdirAll(filepath.Join(e.Dir, "junk"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			err := e.Ensure(context.Background(), tc.fill)
			switch {
			case tc.complete && err != nil:
				t.Fatal(err)
			case !tc.complete && err == nil:
				t.Fatal("Ensure succeeded")
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if hasDone(e.Dir) != tc.complete {
				t.Errorf("entry complete = %v, want %v", hasDone(e.Dir), tc.complete)
			}
			if _, err := os.Stat(e.Dir); !tc.complete && !tc.leftover && !os.IsNotExist(err) {
				t.Errorf("entry exists after a failed fill: %v", err)
			}
		})
	}
	if err := (Entry{}).Ensure(context.Background(), nil); err == nil {
		t.Error("an entry without Dir was accepted")
	}
}

func TestLockCancelled(t *testing.T) {
	name := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if u2, err := Lock(ctx, name); err == nil {
		u2()
		if lockingPlatform {
			t.Fatal("second lock taken while the first is held")
		}
	}
}
