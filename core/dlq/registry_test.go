package dlq_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/producer"
	"github.com/lambda-connect/lambda-connect/core/record"
	"github.com/lambda-connect/lambda-connect/core/sink"
	"github.com/lambda-connect/lambda-connect/infra/s3local"
)

// fakeProducer records what the Kafka destination produces.
type fakeProducer struct {
	servers []string
	msgs    []producer.Message
}

func (p *fakeProducer) Produce(_ context.Context, msgs []producer.Message) error {
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *fakeProducer) Partitions(context.Context, string) (int32, error) { return 4, nil }

type failing struct{ err error }

func (f failing) Send(context.Context, []dlq.Letter) error { return f.err }

func TestRegister(t *testing.T) {
	noop := func(context.Context, map[string]string) (dlq.Destination, error) { return nil, nil }
	r := dlq.NewRegistry()
	if err := r.Register("a", noop); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    dlq.Factory
		want string
	}{
		{"", noop, "needs a name"},
		{"b", nil, "needs a name and a factory"},
		{"a", noop, "already registered"},
	} {
		if err := r.Register(tc.name, tc.f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Register(%q): %v, want %q", tc.name, err, tc.want)
		}
	}
	if got := r.Names(); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("Names %v", got)
	}
	if got := dlq.Builtins(dlq.BuiltinDeps{}).Names(); !reflect.DeepEqual(got, []string{"kafka", "s3", "sqs"}) {
		t.Errorf("Builtins %v", got)
	}
}

// The built-in factories read the settings core/sink declares.
func TestSettingNamesMatchSink(t *testing.T) {
	for got, want := range map[string]string{
		dlq.SettingTopic: sink.KeyDLQTopic, dlq.SettingContextHeaders: sink.KeyDLQContextHeaders,
		dlq.SettingBootstrap: sink.KeyDLQBootstrap, dlq.SettingS3Bucket: sink.KeyDLQS3Bucket, dlq.SettingS3Prefix: sink.KeyDLQS3Prefix,
		dlq.SettingSQSQueueURL: sink.KeyDLQSQSQueueURL,
	} {
		if got != want {
			t.Errorf("dlq setting %q, core/sink %q", got, want)
		}
	}
}

func TestBuiltinsBuild(t *testing.T) {
	s3Err := errclass.New(errclass.BadConfig, "AWS configuration", errors.New("no region"))
	for _, tc := range []struct {
		name      string
		settings  map[string]string
		s3Err     error
		wantType  string // %T of the destination; "" for none
		wantClass errclass.Class
		wantErr   string
		s3Calls   int
		producers [][]string
	}{
		{name: "none", settings: map[string]string{"errors.tolerance": "all"}},
		{name: "topic on the event's cluster", settings: map[string]string{dlq.SettingTopic: "dlq"}, wantType: "*dlq.Kafka"},
		{name: "topic on a named cluster", settings: map[string]string{dlq.SettingTopic: "dlq", dlq.SettingBootstrap: " b1:9092, b2:9092 "},
			wantType: "*dlq.Kafka", producers: [][]string{{"b1:9092", "b2:9092"}}},
		{name: "bucket", settings: map[string]string{dlq.SettingS3Bucket: "bkt"}, wantType: "*dlq.S3", s3Calls: 1},
		{name: "both", settings: map[string]string{dlq.SettingTopic: "dlq", dlq.SettingS3Bucket: "bkt"}, wantType: "dlq.Multi", s3Calls: 1},
		{name: "bad boolean", settings: map[string]string{dlq.SettingTopic: "dlq", dlq.SettingContextHeaders: "yes"},
			wantErr: "dead-letter destination kafka: " + dlq.SettingContextHeaders, wantClass: errclass.BadConfig},
		{name: "S3 client fails", settings: map[string]string{dlq.SettingS3Bucket: "bkt"}, s3Err: s3Err, s3Calls: 1,
			wantErr: "dead-letter destination s3: AWS configuration", wantClass: errclass.BadConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s3Calls := 0
			var producers [][]string
			deps := dlq.BuiltinDeps{
				S3: func(context.Context) (dlq.S3API, error) {
					s3Calls++
					if tc.s3Err != nil {
						return nil, tc.s3Err
					}
					return &s3.Client{}, nil
				},
				NewProducer: func(servers []string) (dlq.Producer, error) {
					producers = append(producers, servers)
					return &fakeProducer{servers: servers}, nil
				},
			}
			d, err := dlq.Builtins(deps).Build(context.Background(), tc.settings)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errclass.Is(err, tc.wantClass) {
					t.Fatalf("err %v, want %q of class %v", err, tc.wantErr, tc.wantClass)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got := ""
			if d != nil {
				got = reflect.TypeOf(d).String()
			}
			if got != tc.wantType {
				t.Errorf("destination %s, want %q", got, tc.wantType)
			}
			if m, ok := d.(dlq.Multi); ok {
				if _, k := m[0].(*dlq.Kafka); !k || len(m) != 2 {
					t.Errorf("Multi %T: want the topic first, then the bucket", m)
				}
			}
			if s3Calls != tc.s3Calls {
				t.Errorf("S3 client built %d times, want %d", s3Calls, tc.s3Calls)
			}
			if !reflect.DeepEqual(producers, tc.producers) {
				t.Errorf("producers for %v, want %v", producers, tc.producers)
			}
		})
	}
}

func TestBuiltinsNeedTheirClients(t *testing.T) {
	for _, settings := range []map[string]string{
		{dlq.SettingS3Bucket: "bkt"},
		{dlq.SettingTopic: "dlq"},
		{dlq.SettingTopic: "dlq", dlq.SettingBootstrap: "b1:9092"},
	} {
		if _, err := dlq.Builtins(dlq.BuiltinDeps{}).Build(context.Background(), settings); !errclass.Is(err, errclass.BadConfig) {
			t.Errorf("%v without clients: %v, want a configuration error", settings, err)
		}
	}
}

// Built from settings, the destinations deliver: the topic with the context headers, the bucket
// under the prefix.
func TestBuiltinsDeliver(t *testing.T) {
	ctx := context.Background()
	client, err := s3local.Client(ctx, s3local.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := "dead-letters-registry"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	p := &fakeProducer{}
	deps := dlq.BuiltinDeps{
		S3:          func(context.Context) (dlq.S3API, error) { return client, nil },
		NewProducer: func([]string) (dlq.Producer, error) { return p, nil },
	}
	d, err := dlq.Builtins(deps).Build(ctx, map[string]string{
		dlq.SettingTopic: "orders-dlq", dlq.SettingContextHeaders: "TRUE", dlq.SettingBootstrap: "b1:9092",
		dlq.SettingS3Bucket: bucket, dlq.SettingS3Prefix: "/bad/",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Send(ctx, []dlq.Letter{letter(7)}); err != nil {
		t.Fatal(err)
	}
	if len(p.msgs) != 1 || p.msgs[0].Topic != "orders-dlq" || string(p.msgs[0].Value) != string(letter(7).Record.Value) ||
		!slices.ContainsFunc(p.msgs[0].Headers, func(h record.Header) bool { return h.Key == dlq.HeaderOffset && string(h.Value) == "7" }) {
		t.Errorf("produced %+v", p.msgs)
	}
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || *out.Contents[0].Key != "bad/c1/orders.eu-1/3/00000000000000000007.json" {
		t.Errorf("objects %+v", out.Contents)
	}
}

func TestMultiStopsAtFirstError(t *testing.T) {
	boom := errclass.Retry("dead letter orders/0/1", "unavailable")
	m1, m2 := dlq.NewMemory(), dlq.NewMemory()
	err := dlq.Multi{m1, failing{boom}, m2}.Send(context.Background(), []dlq.Letter{letter(1)})
	if !errors.Is(err, boom) || len(m1.Letters()) != 1 || len(m2.Letters()) != 0 {
		t.Fatalf("err %v, first %d, last %d letters", err, len(m1.Letters()), len(m2.Letters()))
	}
}
