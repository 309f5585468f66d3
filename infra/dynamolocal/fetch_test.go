package dynamolocal

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeTarball writes a gzipped npm-style tarball: an emulator, files around it, and entries that
// must not be extracted.
func fakeTarball(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add(&tar.Header{Name: "package/package.json", Typeflag: tar.TypeReg}, `{"name":"amplify-dynamodb-simulator"}`)
	add(&tar.Header{Name: "package/emulator/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "package/emulator/DynamoDBLocal.jar", Typeflag: tar.TypeReg}, "jar")
	add(&tar.Header{Name: "package/emulator/DynamoDBLocal_lib/libsqlite4java-linux-amd64.so", Typeflag: tar.TypeReg, Mode: 0o755}, "so")
	add(&tar.Header{Name: "package/emulator/../../escaped", Typeflag: tar.TypeReg}, "evil")
	add(&tar.Header{Name: "package/emulator/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "")
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeNPM writes an npm that copies tgz into its working directory and counts its runs in
// <dir>/runs; with fail set it prints a message and exits 1.
func fakeNPM(t *testing.T, tgz string, fail bool) (npm, runs string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake npm is a shell script")
	}
	dir := t.TempDir()
	runs = filepath.Join(dir, "runs")
	script := "#!/bin/sh\necho \"$@\" >> '" + runs + "'\n"
	if fail {
		script += "echo 'npm error 404 Not Found - GET https://registry.npmjs.org/nope' >&2\nexit 1\n"
	} else {
		script += "sleep 0.2\ncp '" + tgz + "' ./amplify-dynamodb-simulator-9.9.9.tgz\n"
	}
	npm = filepath.Join(dir, "npm")
	if err := os.WriteFile(npm, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return npm, runs
}

func countRuns(t *testing.T, runs string) int {
	b, err := os.ReadFile(runs)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestFetchUnpacksOnceAtomically(t *testing.T) {
	tgz := filepath.Join(t.TempDir(), "sim.tgz")
	fakeTarball(t, tgz)
	npm, runs := fakeNPM(t, tgz, false)
	root := t.TempDir()
	cfg := FetchConfig{Version: "9.9.9", CacheRoot: root, NPM: npm}

	// Racing fetchers: one runs npm, all get the same complete directory.
	const n = 6
	dirs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = cfg.Fetch(context.Background())
		}()
	}
	wg.Wait()
	want := filepath.Join(root, "dynamodb-local", "9.9.9")
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("fetch %d: %v", i, errs[i])
		}
		if dirs[i] != want {
			t.Fatalf("fetch %d returned %s, want %s", i, dirs[i], want)
		}
	}
	if got := countRuns(t, runs); got != 1 {
		t.Fatalf("npm ran %d times, want 1", got)
	}
	if b, _ := os.ReadFile(runs); !strings.Contains(string(b), "pack amplify-dynamodb-simulator@9.9.9") {
		t.Fatalf("npm arguments: %q", b)
	}
	for name, body := range map[string]string{
		"DynamoDBLocal.jar": "jar",
		"DynamoDBLocal_lib/libsqlite4java-linux-amd64.so": "so",
	} {
		b, err := os.ReadFile(filepath.Join(want, name))
		if err != nil || string(b) != body {
			t.Fatalf("%s: %q, %v", name, b, err)
		}
	}
	for _, bad := range []string{filepath.Join(want, "link"), filepath.Join(root, "escaped"), filepath.Join(root, "dynamodb-local", "escaped"), filepath.Join(want, "package.json")} {
		if _, err := os.Lstat(bad); err == nil {
			t.Errorf("%s was extracted", bad)
		}
	}
	// No temporary directory left behind.
	entries, err := os.ReadDir(filepath.Dir(want))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".fetch-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}

	// A cached emulator is not fetched again.
	if _, err := cfg.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countRuns(t, runs); got != 1 {
		t.Fatalf("npm ran %d times after a cached fetch, want 1", got)
	}
}

func TestFetchFailureLeavesNoEntry(t *testing.T) {
	npm, _ := fakeNPM(t, "", true)
	root := t.TempDir()
	cfg := FetchConfig{Version: "0.0.1", CacheRoot: root, NPM: npm}
	_, err := cfg.Fetch(context.Background())
	if err == nil {
		t.Fatal("fetch succeeded with a failing npm")
	}
	for _, want := range []string{"amplify-dynamodb-simulator@0.0.1", "404 Not Found"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "dynamodb-local", "0.0.1")); !os.IsNotExist(err) {
		t.Fatalf("cache entry exists after a failed fetch: %v", err)
	}
}

func TestFetchConfigDefaults(t *testing.T) {
	t.Setenv(EnvCache, "/cache/root")
	t.Setenv(EnvVersion, "")
	tests := []struct {
		name    string
		cfg     FetchConfig
		env     string
		want    string
		wantErr bool
	}{
		{name: "defaults", want: filepath.Join("/cache/root", "dynamodb-local", DefaultVersion)},
		{name: "version from env", env: "2.0.0", want: filepath.Join("/cache/root", "dynamodb-local", "2.0.0")},
		{name: "explicit wins", cfg: FetchConfig{Version: "1.2.3", CacheRoot: "/x"}, env: "2.0.0", want: filepath.Join("/x", "dynamodb-local", "1.2.3")},
		{name: "traversal", cfg: FetchConfig{Version: "../1"}, wantErr: true},
		{name: "option injection", cfg: FetchConfig{Version: "-1"}, wantErr: true},
		{name: "space", cfg: FetchConfig{Version: "1 2"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvVersion, tt.env)
			got, err := tt.cfg.Dir()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Dir() = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Fatalf("Dir() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmulatorPath(t *testing.T) {
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"package/emulator/DynamoDBLocal.jar", "DynamoDBLocal.jar", true},
		{"package/emulator/DynamoDBLocal_lib/a.so", filepath.Join("DynamoDBLocal_lib", "a.so"), true},
		{"package/emulator/DynamoDBLocal_lib/", "DynamoDBLocal_lib", true},
		{"package/emulator/", "", false},
		{"package/index.js", "", false},
		{"emulator/DynamoDBLocal.jar", "", false},
		{"package/emulator/../x", "", false},
		{"package/emulator/a/../../x", "", false},
		{"package/emulator//etc/passwd", "", false},
		{"package/emulator/./a", "", false},
		{"package/emulator/.", "", false},
		{`package/emulator/a\..\..\x`, "", false},
	}
	for _, tt := range tests {
		got, ok := emulatorPath(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("emulatorPath(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzEmulatorPath(f *testing.F) {
	f.Add("package/emulator/DynamoDBLocal.jar")
	f.Add("package/emulator/../../etc/passwd")
	f.Fuzz(func(t *testing.T, name string) {
		rel, ok := emulatorPath(name)
		if !ok {
			return
		}
		if !filepath.IsLocal(rel) {
			t.Fatalf("emulatorPath(%q) = %q, which leaves the directory", name, rel)
		}
		dst := filepath.Join("/dst", rel)
		if !strings.HasPrefix(dst, "/dst/") {
			t.Fatalf("emulatorPath(%q) = %q joins to %q", name, rel, dst)
		}
	})
}
