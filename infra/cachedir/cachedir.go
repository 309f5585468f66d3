// Package cachedir holds the cache Lambda Connect's tools share for what they fetch (DynamoDB
// Local, the npm packages of the interop tests): its root ($LAMBDA_CONNECT_CACHE, else the user
// cache directory's lambda-connect), a lock file serialising fetchers across processes where the
// platform has flock, and cache entries filled once in a staging directory and renamed into
// place, so that an entry appears complete or not at all.
package cachedir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvCache names the variable that overrides the cache root.
const EnvCache = "LAMBDA_CONNECT_CACHE"

// Root returns root if it is set, else $LAMBDA_CONNECT_CACHE, else
// os.UserCacheDir()/lambda-connect.
func Root(root string) (string, error) {
	if root == "" {
		root = os.Getenv(EnvCache)
	}
	if root == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory (set %s): %w", EnvCache, err)
		}
		root = filepath.Join(dir, "lambda-connect")
	}
	return root, nil
}

// Entry is one cache entry: a directory filled once.
type Entry struct {
	// Dir is the entry's directory.
	Dir string
	// StagePrefix prefixes the name of the staging directory made next to Dir (default ".fill-").
	StagePrefix string
	// Complete reports whether a directory holds a complete entry.
	Complete func(dir string) bool
}

// Validate reports a missing Dir or Complete.
func (e Entry) Validate() error {
	if e.Dir == "" || e.Complete == nil {
		return errors.New("cachedir: an entry needs a Dir and a Complete func")
	}
	return nil
}

// Ensure makes sure the entry is complete. When it is not, Ensure takes the lock file
// <Dir>.lock (waiting for other fillers, in this process or others) and, unless whoever held it
// completed the entry, calls fill with a new staging directory next to Dir; fill populates it
// and returns the directory (the staging directory or one inside it) to rename to Dir. A partial
// leftover at Dir is replaced; when the rename fails because another filler's rename won, the
// entry is complete all the same. The staging directory is removed in every case. fill's errors
// are returned as they are.
func (e Entry) Ensure(ctx context.Context, fill func(ctx context.Context, stage string) (string, error)) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Complete(e.Dir) {
		return nil
	}
	parent := filepath.Dir(e.Dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("cache %s: %w", parent, err)
	}
	unlock, err := Lock(ctx, e.Dir+".lock")
	if err != nil {
		return fmt.Errorf("locking %s.lock: %w", e.Dir, err)
	}
	defer unlock()
	if e.Complete(e.Dir) { // filled by whoever held the lock
		return nil
	}
	prefix := e.StagePrefix
	if prefix == "" {
		prefix = ".fill-"
	}
	tmp, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return fmt.Errorf("cache %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp)
	staged, err := fill(ctx, tmp)
	if err != nil {
		return err
	}
	if !e.Complete(staged) {
		return fmt.Errorf("cache entry %s staged incomplete in %s", e.Dir, staged)
	}
	if err := os.Rename(staged, e.Dir); err != nil {
		if e.Complete(e.Dir) { // another filler's rename won
			return nil
		}
		os.RemoveAll(e.Dir) // a partial leftover
		if err := os.Rename(staged, e.Dir); err != nil {
			return fmt.Errorf("moving %s to %s: %w", staged, e.Dir, err)
		}
	}
	return nil
}
