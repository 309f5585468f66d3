package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source/trigger"
)

// TestEventsS3 prints each of the S3 source's trigger shapes and decodes it as the S3 source
// does: the shape, the envelopes and the objects (keys decoded back) must be the ones asked for.
func TestEventsS3(t *testing.T) {
	t.Parallel()
	keys := []string{"incoming/a b+c (1).jsonl", "données/été.csv.gz"}
	for _, tc := range []struct {
		kind  string
		keys  []string
		shape trigger.Shape
		via   []string
		want  trigger.Kind
	}{
		{eventS3Put, keys, trigger.ShapeS3, nil, trigger.Created},
		{eventSQSS3, keys, trigger.ShapeSQS, []string{"sqs"}, trigger.Created},
		{eventSNSSQSS3, keys, trigger.ShapeSQS, []string{"sqs", "sns"}, trigger.Created},
		{eventEventBridge, keys[:1], trigger.ShapeEventBridge, nil, trigger.Created},
		{eventS3Test, nil, trigger.ShapeS3, nil, trigger.Test},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			args := []string{"events", tc.kind, "--bucket", "landing", "--size", "77", "--compact"}
			for _, k := range tc.keys {
				args = append(args, "--object-key", k)
			}
			code, stdout, stderr := runEnv(t, nil, args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if strings.Count(strings.TrimSpace(stdout), "\n") != 0 {
				t.Errorf("--compact printed more than one line:\n%s", stdout)
			}
			b, err := trigger.Decode([]byte(stdout))
			if err != nil {
				t.Fatalf("the S3 source cannot decode it: %v\n%s", err, stdout)
			}
			if b.Shape != tc.shape || len(b.Messages) != 1 || b.Messages[0].Err != nil {
				t.Fatalf("decoded %+v, want shape %s, one message", b, tc.shape)
			}
			var got []string
			for _, n := range b.Messages[0].Notices {
				if n.Kind != tc.want || !slices.Equal(n.Via, tc.via) || n.Object.Bucket != "landing" {
					t.Errorf("notice %+v: want kind %v via %v in bucket landing", n, tc.want, tc.via)
				}
				if n.Kind == trigger.Created {
					if n.Object.Size != 77 || n.Object.ETag == "" || n.Object.Sequencer == "" {
						t.Errorf("object %+v: want size 77, an ETag and a sequencer", n.Object)
					}
					got = append(got, n.Object.Key)
				}
			}
			if !slices.Equal(got, tc.keys) {
				t.Errorf("objects %q, want %q", got, tc.keys)
			}
		})
	}
}

func TestEventsS3Usage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "s3-put", "--topic", "x"}, "--topic does not apply to s3-put events"},
		{[]string{"events", "kafka-msk", "--bucket", "x"}, "--bucket does not apply to kafka-msk events"},
		{[]string{"events", "eventbridge", "--object-key", "a", "--object-key", "b"}, "an EventBridge event is about one object"},
		{[]string{"events", "sqs-s3", "--bucket", ""}, "--bucket is empty"},
		{[]string{"events", "s3-get"}, "sns-sqs-s3"},
	} {
		code, _, stderr := runEnv(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
