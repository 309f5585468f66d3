package kafkaevent

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// FuzzDecode checks that Decode never panics, that its errors are bad_record errors, that it
// accepts only valid JSON, and that whatever decodes re-encodes to an event that decodes to the
// same records (grouped by partition) and encodes to the same bytes again. Seeds:
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := Decode(bytes.Clone(payload))
		if err != nil {
			if !errclass.Is(err, errclass.BadRecord) {
				t.Fatalf("error %v is %v, not bad_record", err, errclass.Of(err))
			}
			if ev.Records != nil || ev.Source != "" {
				t.Fatalf("error %v returned with a partial event", err)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("Decode accepted invalid JSON %q", payload)
		}
		enc := Encode(ev)
		got, err := Decode(bytes.Clone(enc))
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v\n%s", err, enc)
		}
		want := ev
		want.Records = grouped(ev.Records)
		if !eventsEqual(got, want) {
			t.Fatalf("re-encoded event decodes to\n%+v\nwant\n%+v", got, want)
		}
		if again := Encode(got); !bytes.Equal(again, enc) {
			t.Fatalf("encoding not stable:\n%s\n%s", enc, again)
		}
	})
}
