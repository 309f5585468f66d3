package interop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeNPM writes a script that "installs" the packages (their package.json) under --prefix and
// counts its runs in count.
func fakeNPM(t *testing.T, count string) string {
	t.Helper()
	script := `#!/bin/sh
echo run >> ` + count + `
prefix=""
while [ $# -gt 0 ]; do
  case "$1" in --prefix) prefix="$2"; shift;; esac
  shift
done
for p in hyparquet hyparquet-compressors avsc; do
  mkdir -p "$prefix/node_modules/$p" && echo '{}' > "$prefix/node_modules/$p/package.json"
done
`
	p := filepath.Join(t.TempDir(), "npm")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Concurrent installs run npm once; later ones use the cache.
func TestInstallOnce(t *testing.T) {
	root := t.TempDir()
	count := filepath.Join(t.TempDir(), "count")
	cfg := Config{CacheRoot: root, NPM: fakeNPM(t, count)}
	var wg sync.WaitGroup
	dirs := make([]string, 4)
	errs := make([]error, 4)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = cfg.Install(context.Background())
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != dirs[0] || !strings.HasPrefix(dirs[i], filepath.Join(root, "npm-interop")) {
			t.Fatalf("Install %d: %q, %v", i, dirs[i], errs[i])
		}
	}
	if _, err := cfg.Install(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(count)
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Fatalf("npm ran %d times, want once", n)
	}
}

// An npm that fails (the registry unreachable) is an error that says so, and leaves no entry.
func TestInstallFails(t *testing.T) {
	root := t.TempDir()
	_, err := Config{CacheRoot: root, NPM: "false"}.Install(context.Background())
	if err == nil || !strings.Contains(err.Error(), "npm registry reachable") {
		t.Fatalf("Install: %v", err)
	}
	if complete((&Config{CacheRoot: root}).dir()) {
		t.Fatal("a failed install left a complete entry")
	}
}
