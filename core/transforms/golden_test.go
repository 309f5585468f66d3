package transforms_test

import (
	"path/filepath"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/golden"
	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// The README's table of transforms and predicates.
func TestMarkdownGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "transforms.md"), []byte(transforms.Default().Markdown()))
}
