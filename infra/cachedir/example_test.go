package cachedir_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambda-connect/lambda-connect/infra/cachedir"
)

func ExampleEntry_Ensure() {
	root, _ := os.MkdirTemp("", "cache")
	defer os.RemoveAll(root)
	complete := func(dir string) bool { _, err := os.Stat(filepath.Join(dir, "tool.bin")); return err == nil }
	e := cachedir.Entry{Dir: filepath.Join(root, "tool", "1.0"), Complete: complete}
	for range 2 {
		err := e.Ensure(context.Background(), func(_ context.Context, stage string) (string, error) {
			fmt.Println("fetching")
			return stage, os.WriteFile(filepath.Join(stage, "tool.bin"), []byte("x"), 0o644)
		})
		fmt.Println(err, complete(e.Dir))
	}
	// Output:
	// fetching
	// <nil> true
	// <nil> true
}
