package sqslocal

import "testing"

func str(s string) *string { return &s }

// Digests other SQS implementations agree on (LocalStack's and sqslite's test vectors).
func TestMD5OfAttributes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]Attribute
		want  string
	}{
		{"none", nil, ""},
		{"one number", map[string]Attribute{"timestamp": {DataType: "Number", StringValue: str("1493147359900")}},
			"235c5c510d26fb653d073faed50ae77c"},
		{"sorted by name", map[string]Attribute{
			"ordinal":  {DataType: "Number", StringValue: str("1")},
			"category": {DataType: "String", StringValue: str("test")},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
	} {
		if got := MD5OfAttributes(tc.attrs); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// The transport byte tells a binary value from the same bytes as a string.
	s := MD5OfAttributes(map[string]Attribute{"a": {DataType: "String", StringValue: str("xy")}})
	b := MD5OfAttributes(map[string]Attribute{"a": {DataType: "Binary", BinaryValue: []byte("xy")}})
	if s == b {
		t.Error("String and Binary values of the same bytes have the same digest")
	}
	if got := MD5OfBody("hello"); got != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("MD5OfBody %s", got)
	}
}

func TestValidBody(t *testing.T) {
	for body, want := range map[string]bool{
		"plain {json}\n\t\r": true, "ünïcødé 😀": true, "nul\x00": false, "bell\x07": false,
		string([]byte{0xff, 0xfe}): false, "\uFFFE": false, "\uE000": true,
	} {
		if got := validBody(body); got != want {
			t.Errorf("validBody(%q) = %v, want %v", body, got, want)
		}
	}
}
