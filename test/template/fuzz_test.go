package template_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzQuote checks that a generated Description or Default, written by quote, reads back from the
// template as the same text.
func FuzzQuote(f *testing.F) {
	f.Add("s3.bucket.name: The S3 bucket the connector writes to.")
	f.Add(`'year'=YYYY/'month'=MM: "quoted" # not a comment`)
	f.Add("TimeBasedPartitioner$WallclockTimestampExtractor <p> & \\n \t tab")
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToValidUTF8(s, "\uFFFD") // settings and their docs are UTF-8
		var got map[string]string
		doc := "Description: " + quote(s) + "\n"
		if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if got["Description"] != s {
			t.Fatalf("quote(%q) reads back as %q", s, got["Description"])
		}
	})
}
