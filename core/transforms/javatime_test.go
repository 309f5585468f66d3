package transforms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/core/transforms"
)

// The examples of java.text.SimpleDateFormat's documentation, at 2001-07-04T12:08:56.235 in UTC.
func TestDateFormatJavaDocExamples(t *testing.T) {
	at := time.Date(2001, 7, 4, 12, 8, 56, 235e6, time.UTC).UnixMilli()
	tests := []struct{ pattern, want string }{
		{"yyyy.MM.dd G 'at' HH:mm:ss z", "2001.07.04 AD at 12:08:56 UTC"},
		{"EEE, MMM d, ''yy", "Wed, Jul 4, '01"},
		{"h:mm a", "12:08 PM"},
		{"hh 'o''clock' a, zzzz", "12 o'clock PM, Coordinated Universal Time"},
		{"K:mm a, z", "0:08 PM, UTC"},
		{"yyyyy.MMMMM.dd GGG hh:mm aaa", "02001.July.04 AD 12:08 PM"},
		{"EEE, d MMM yyyy HH:mm:ss Z", "Wed, 4 Jul 2001 12:08:56 +0000"},
		{"yyMMddHHmmssZ", "010704120856+0000"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2001-07-04T12:08:56.235+0000"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2001-07-04T12:08:56.235Z"},
		{"YYYY-'W'ww-u", "2001-W27-3"},
		{"D F W k S", "185 1 1 12 235"},
		{"EEEE LLLL", "Wednesday July"},
		{"yyyyMMdd", "20010704"},
	}
	for _, tt := range tests {
		f, err := transforms.ParseDateFormat(tt.pattern)
		if err != nil {
			t.Errorf("ParseDateFormat(%q): %v", tt.pattern, err)
			continue
		}
		if got := f.Format(at); got != tt.want {
			t.Errorf("Format(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	// Week years: 2024-12-31 is in week 1 of 2025 in the US locale.
	f, _ := transforms.ParseDateFormat("YYYY ww yyyy")
	if got := f.Format(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli()); got != "2025 01 2024" {
		t.Errorf("week year = %q", got)
	}
}

func TestDateFormatRejects(t *testing.T) {
	for pattern, want := range map[string]string{
		"bad-format":  "illegal pattern character 'b'",
		"yyyy 'open":  "unterminated quote",
		"XXXX":        "invalid ISO 8601 format",
		"yyyy-MM-ddq": "illegal pattern character 'q'",
	} {
		if _, err := transforms.ParseDateFormat(pattern); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDateFormat(%q) = %v, want %q", pattern, err, want)
		}
	}
}

func TestDateFormatParse(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, msec int) int64 {
		return time.Date(y, mo, d, h, mi, s, msec*1e6, time.UTC).UnixMilli()
	}
	tests := []struct {
		pattern, text string
		want          int64
	}{
		{"yyyy MM dd HH mm ss SSS z", "1970 01 02 00 00 01 234 UTC", 86401234},
		{"yyyy-MM-dd", "2024-03-01", utc(2024, 3, 1, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2024-03-01T10:00:00 trailing text is ignored", utc(2024, 3, 1, 0, 0, 0, 0)},
		{"yyyy-MM-dd", "2024-13-01", utc(2025, 1, 1, 0, 0, 0, 0)}, // lenient
		{"yyyy-M-d", "2024-3-1", utc(2024, 3, 1, 0, 0, 0, 0)},
		{"yyyyMMddHHmmss", "20240301123456", utc(2024, 3, 1, 12, 34, 56, 0)},
		{"dd MMM yyyy hh:mm a", "04 jul 2001 12:08 pm", utc(2001, 7, 4, 12, 8, 0, 0)},
		{"dd MMMM yyyy hh:mm a", "04 July 2001 12:08 AM", utc(2001, 7, 4, 0, 8, 0, 0)},
		{"EEE, d MMM yyyy HH:mm:ss Z", "Wed, 4 Jul 2001 12:08:56 -0700", utc(2001, 7, 4, 19, 8, 56, 0)},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2001-07-04T12:08:56.235+05:30", utc(2001, 7, 4, 6, 38, 56, 235)},
		{"yyyy-MM-dd'T'HH:mm:ssX", "2001-07-04T12:08:56Z", utc(2001, 7, 4, 12, 8, 56, 0)},
		{"yyyy-MM-dd HH:mm z", "2001-07-04 12:08 GMT+01:00", utc(2001, 7, 4, 11, 8, 0, 0)},
		{"yyyy D", "2001 185", utc(2001, 7, 4, 0, 0, 0, 0)},
		{"HH:mm", "25:00", utc(1970, 1, 2, 1, 0, 0, 0)},
		{"G yyyy", "BC 0001", utc(0, 1, 1, 0, 0, 0, 0)},
		{"k", "24", 0},
	}
	for _, tt := range tests {
		f, err := transforms.ParseDateFormat(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Parse(tt.text)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q, %q) = %v (%v), %v; want %v (%v)", tt.pattern, tt.text, got, time.UnixMilli(got).UTC(), err, tt.want, time.UnixMilli(tt.want).UTC())
		}
	}
	// Two-digit years fall within 80 years before and 20 after now.
	f, _ := transforms.ParseDateFormat("yy")
	got, _ := f.Parse("05")
	if y := time.UnixMilli(got).UTC().Year(); y != 2005 {
		t.Errorf("yy 05 = %d", y)
	}
	for _, bad := range []struct{ pattern, text string }{
		{"yyyy-MM-dd", "2024/03/01"}, {"yyyy", "abcd"}, {"MMM", "Foo"}, {"a", "XM"}, {"Z", "+7"}, {"ww", "12"},
	} {
		f, _ := transforms.ParseDateFormat(bad.pattern)
		if _, err := f.Parse(bad.text); err == nil {
			t.Errorf("Parse(%q, %q) accepted", bad.pattern, bad.text)
		}
	}
}

// Formatting then parsing gives the instant back, for patterns that hold all of it.
func TestDateFormatRoundTrip(t *testing.T) {
	for _, p := range []string{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyyMMddHHmmssSSS", "dd MMMM yyyy hh:mm:ss.SSS a Z", "G yyyy-MM-dd HH:mm:ss.SSS"} {
		f, err := transforms.ParseDateFormat(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, ms := range []int64{0, 1, 86400000, 1483425001864, -1, -62135596800000, 253402300799999} {
			got, err := f.Parse(f.Format(ms))
			if err != nil || got != ms {
				t.Errorf("%q: %d -> %q -> %d, %v", p, ms, f.Format(ms), got, err)
			}
		}
	}
}
