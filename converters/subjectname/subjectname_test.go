package subjectname

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Strategy
		ok   bool
	}{
		{"", TopicNameStrategy, true},
		{" TopicNameStrategy ", TopicNameStrategy, true},
		{"RecordNameStrategy", RecordNameStrategy, true},
		{Package + "TopicRecordNameStrategy", TopicRecordNameStrategy, true},
		{"io.confluent.other.TopicNameStrategy", "", false},
		{"Nope", "", false},
	} {
		got, ok := Parse(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSubject(t *testing.T) {
	for _, tc := range []struct {
		s       Strategy
		isKey   bool
		name    string
		want    string
		wantErr bool
	}{
		{TopicNameStrategy, false, "x.Order", "orders-value", false},
		{TopicNameStrategy, true, "", "orders-key", false},
		{"", false, "", "orders-value", false},
		{RecordNameStrategy, false, "x.Order", "x.Order", false},
		{TopicRecordNameStrategy, true, "x.Order", "orders-x.Order", false},
		{RecordNameStrategy, false, "", "", true},
		{"bogus", false, "x", "", true},
	} {
		got, err := tc.s.Subject("orders", tc.isKey, tc.name)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%q.Subject(orders, %v, %q) = %q, %v", tc.s, tc.isKey, tc.name, got, err)
		}
	}
}

func TestChoose(t *testing.T) {
	if got := Choose(true, "RecordNameStrategy", ""); got != RecordNameStrategy {
		t.Errorf("key: %q", got)
	}
	if got := Choose(false, "RecordNameStrategy", ""); got != TopicNameStrategy {
		t.Errorf("value: %q", got)
	}
	if got := Choose(false, "", "bogus"); got != TopicNameStrategy {
		t.Errorf("unknown: %q", got)
	}
}

func ExampleStrategy_Subject() {
	s, _ := Parse("TopicRecordNameStrategy")
	subject, _ := s.Subject("orders", false, "com.example.Order")
	fmt.Println(subject)
	// Output: orders-com.example.Order
}
