// Package interop cross-checks the files Lambda Connect writes with independent implementations
// from another ecosystem: the npm packages hyparquet (Parquet, with hyparquet-compressors for
// snappy, gzip and zstd) and avsc (Avro container files and Confluent-framed records), run with
// the machine's node.
//
// Install puts the packages in the cache Lambda Connect's other tools use
// ($LAMBDA_CONNECT_CACHE, else the user cache directory's lambda-connect), once: concurrent
// installs are serialised by a lock file and an installation appears complete or not at all.
package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lambda-connect/lambda-connect/infra/cachedir"
)

// Packages are the npm packages Install installs, pinned.
var Packages = []string{"hyparquet@1.31.5", "hyparquet-compressors@1.1.2", "avsc@5.7.9"}

// EnvCache names the cache root, as infra/dynamolocal reads it.
const EnvCache = cachedir.EnvCache

// Config configures Install.
type Config struct {
	// CacheRoot is the cache root; "" means $LAMBDA_CONNECT_CACHE, else
	// os.UserCacheDir()/lambda-connect. Packages go to <root>/npm-interop/<version tag>.
	CacheRoot string
	// NPM is the npm command (default "npm").
	NPM string
}

func (c *Config) validate() error {
	root, err := cachedir.Root(c.CacheRoot)
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	c.CacheRoot = root
	if c.NPM == "" {
		c.NPM = "npm"
	}
	return nil
}

// dir names the installation after the pinned versions, so that a change of versions installs
// anew.
func (c *Config) dir() string {
	tag := strings.NewReplacer("@", "-", "/", "_").Replace(strings.Join(Packages, "+"))
	return filepath.Join(c.CacheRoot, "npm-interop", tag)
}

func complete(dir string) bool {
	for _, p := range Packages {
		name := p[:strings.LastIndexByte(p, '@')]
		if _, err := os.Stat(filepath.Join(dir, "node_modules", name, "package.json")); err != nil {
			return false
		}
	}
	return true
}

// Install ensures the packages are installed and returns the directory holding their
// node_modules. The first call runs `npm install --prefix` into a temporary directory next to
// the cache entry and renames it into place.
func (c Config) Install(ctx context.Context) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	dir := c.dir()
	entry := cachedir.Entry{Dir: dir, StagePrefix: ".install-", Complete: complete}
	err := entry.Ensure(ctx, func(ctx context.Context, tmp string) (string, error) {
		args := append([]string{"install", "--prefix", tmp, "--no-audit", "--no-fund", "--loglevel=error"}, Packages...)
		cmd := exec.CommandContext(ctx, c.NPM, args...)
		cmd.Dir = tmp
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("%s %s: %w (is the npm registry reachable?)\n%s", c.NPM, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
		}
		if !complete(tmp) {
			return "", fmt.Errorf("npm install left an incomplete node_modules in %s\n%s", tmp, strings.TrimSpace(out.String()))
		}
		return tmp, nil
	})
	if err != nil {
		return "", fmt.Errorf("interop: %w", err)
	}
	return dir, nil
}
