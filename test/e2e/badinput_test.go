package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/core/sink/sinktest"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// TestBadInput sends batches with one bad record (or against a missing bucket) through the real
// handler and checks that the error names what is at fault and that nothing of the batch was
// written or committed.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	recs := sinktest.Generate("orders.v1-eu", 2, 5)

	cases := []struct {
		name    string
		bucket  string // "" makes one
		payload func() []byte
		class   errclass.Class
		want    []string
	}{
		{
			name: "value that is not base64",
			payload: func() []byte {
				ev := kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka", Records: recs})
				good := []byte(`"value":"` + b64(recs[7].Value) + `"`)
				if !bytes.Contains(ev, good) {
					t.Fatal("test setup: value not found in the event")
				}
				return bytes.Replace(ev, good, []byte(`"value":"not*base64!"`), 1)
			},
			class: errclass.BadRecord,
			want:  []string{"record orders.v1-eu/1/2", "value", "base64"},
		},
		{
			name: "invalid JSON for the JSON converter",
			payload: func() []byte {
				bad := append([]record.Record(nil), recs...)
				bad[3].Value = []byte(`{"seq":3,"customer":`)
				return kafkaevent.Encode(kafkaevent.Event{Source: "SelfManagedKafka", Records: bad})
			},
			class: errclass.BadRecord,
			want:  []string{"record orders.v1-eu/0/3", "value.converter"},
		},
		{
			name: "tombstone with behavior.on.null.values=fail",
			payload: func() []byte {
				bad := append([]record.Record(nil), recs...)
				bad[6].Value = nil
				return kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka", Records: bad})
			},
			class: errclass.BadRecord,
			want:  []string{"orders.v1-eu/1/1", "behavior.on.null.values"},
		},
		{
			name:    "bucket that does not exist",
			bucket:  "no-such-bucket-anywhere",
			payload: func() []byte { return kafkaevent.Encode(kafkaevent.Event{Source: "aws:kafka", Records: recs}) },
			want:    []string{"no-such-bucket-anywhere"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bucket := tc.bucket
			if bucket == "" {
				bucket = strings.ToLower(name("bad"))
				if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
					t.Fatal(err)
				}
			}
			c, err := s3sink.Spec().Parse(map[string]string{"connector.name": "bad-input", "s3.bucket.name": bucket,
				"s3.region": "us-east-1", "flush.size": "2", "value.converter.schemas.enable": "false"})
			if err != nil {
				t.Fatal(err)
			}
			scfg, err := s3sink.ConfigFrom(c)
			if err != nil {
				t.Fatal(err)
			}
			s, err := s3sink.New(scfg, client)
			if err != nil {
				t.Fatal(err)
			}
			store, err := offsets.NewFileStore("")
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			h, err := sink.NewFromConfig(ctx, c, s, store, sink.WithLogger(sink.NewLogger(io.Discard)), sink.WithMetricsTo(&logs))
			if err != nil {
				t.Fatal(err)
			}
			ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err = h.Invoke(ictx, tc.payload())
			if err == nil {
				t.Fatal("the batch was accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q: %v", w, err)
				}
			}
			if tc.class != errclass.Unknown && errclass.Of(err) != tc.class {
				t.Errorf("error class %v, want %v: %v", errclass.Of(err), tc.class, err)
			}
			for p := int32(0); p < 2; p++ {
				st, err := store.Get(ctx, offsets.Key{Connector: "bad-input", Topic: "orders.v1-eu", Partition: p})
				if err != nil {
					t.Fatal(err)
				}
				if st.Next != -1 || st.Owner != "" {
					t.Errorf("partition %d: committed to %d (lease owner %q) after a failed batch", p, st.Next, st.Owner)
				}
			}
			if tc.bucket == "" {
				out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Contents) != 0 {
					t.Errorf("%d objects written by a batch that failed on a bad record", len(out.Contents))
				}
			}
		})
	}
}

// TestBadConfig: a misspelt, an unknown and a missing setting are all named in one error.
func TestBadConfig(t *testing.T) {
	_, err := s3sink.Spec().Parse(map[string]string{"connector.name": "x", "s3.bukcet.name": "b",
		"flush.size": "many", "frobnicate": "1"})
	if err == nil {
		t.Fatal("accepted")
	}
	if errclass.Of(err) != errclass.BadConfig {
		t.Errorf("class %v", errclass.Of(err))
	}
	for _, w := range []string{`"s3.bukcet.name"`, "did you mean s3.bucket.name", "s3.bucket.name", "flush.size", `"frobnicate"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %s: %v", w, err)
		}
	}
}

func b64(v []byte) string { return base64.StdEncoding.EncodeToString(v) }
