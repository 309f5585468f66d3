package subjectname

import (
	"strings"
	"testing"
)

// FuzzParse checks that a parsed strategy parses to itself and names a subject for any topic and
// record name, and that anything else is refused.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "TopicNameStrategy", Package + "RecordNameStrategy", " TopicRecordNameStrategy", "Foo"} {
		f.Add(s, "orders", "com.example.Order", false)
	}
	f.Fuzz(func(t *testing.T, s, topic, name string, isKey bool) {
		st, ok := Parse(s)
		if !ok {
			if st != "" {
				t.Fatalf("refused %q but returned %q", s, st)
			}
			return
		}
		if again, ok := Parse(string(st)); !ok || again != st {
			t.Fatalf("%q parses to %q, which parses to %q, %v", s, st, again, ok)
		}
		subject, err := st.Subject(topic, isKey, name)
		if err != nil && (st == TopicNameStrategy || name != "") {
			t.Fatalf("%q.Subject: %v", st, err)
		}
		if err == nil && !strings.Contains(subject, topic) && st != RecordNameStrategy {
			t.Fatalf("%q.Subject(%q) = %q", st, topic, subject)
		}
	})
}
