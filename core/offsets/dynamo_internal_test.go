package offsets

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// fakeDynamo answers every call with err, and records the last UpdateItem input.
type fakeDynamo struct {
	err  error
	last *dynamodb.UpdateItemInput
}

func (f *fakeDynamo) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, f.err
}

func (f *fakeDynamo) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.last = in
	return nil, f.err
}

func (f *fakeDynamo) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, f.err
}

var testKey = Key{Connector: "conn", Topic: "orders", Partition: 3}

func oldItem(owner string, epoch, next int64) map[string]types.AttributeValue {
	av := map[string]types.AttributeValue{
		AttrConnector: str("conn"), AttrPartitionKey: str("orders/0000000003"), AttrTopic: str("orders"),
		AttrPartition: num(3), AttrNext: num(next), AttrEpoch: num(epoch), AttrUpdated: num(1),
	}
	if owner != "" {
		av[AttrOwner], av[AttrUntil] = str(owner), num(1_800_000_000_000)
	}
	return av
}

func TestDynamoErrorMapping(t *testing.T) {
	lease := Lease{Key: testKey, Owner: "me", Epoch: 4, Next: 10}
	ops := map[string]func(s *DynamoStore) error{
		"Acquire": func(s *DynamoStore) error {
			_, err := s.Acquire(context.Background(), testKey, "me", time.Now())
			return err
		},
		"SetPending": func(s *DynamoStore) error { return s.SetPending(context.Background(), lease, []string{"x"}) },
		"Commit":     func(s *DynamoStore) error { return s.Commit(context.Background(), lease, 12) },
		"Release":    func(s *DynamoStore) error { return s.Release(context.Background(), lease) },
		"Get":        func(s *DynamoStore) error { _, err := s.Get(context.Background(), testKey); return err },
		"Reset":      func(s *DynamoStore) error { return s.Reset(context.Background(), testKey, 0, false) },
	}
	tests := []struct {
		name    string
		op      string
		err     error
		class   errclass.Class
		target  error // nil: only the class and the partition are checked
		wantNil bool
	}{
		{name: "throttled", op: "Acquire", err: &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, class: errclass.Retriable},
		{name: "throttled get", op: "Get", err: &types.RequestLimitExceeded{}, class: errclass.Retriable},
		{name: "network", op: "Commit", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, class: errclass.Retriable},
		{name: "missing table", op: "SetPending", err: &types.ResourceNotFoundException{Message: aws.String("no table")}, class: errclass.BadConfig},
		{name: "held", op: "Acquire", err: &types.ConditionalCheckFailedException{Item: oldItem("other", 3, 5)}, class: errclass.Retriable, target: ErrLeaseHeld},
		{name: "reset while held", op: "Reset", err: &types.ConditionalCheckFailedException{Item: oldItem("other", 3, 5)}, class: errclass.Retriable, target: ErrLeaseHeld},
		{name: "pending fenced", op: "SetPending", err: &types.ConditionalCheckFailedException{Item: oldItem("other", 5, 5)}, class: errclass.Retriable, target: ErrFenced},
		{name: "pending on a missing item", op: "SetPending", err: &types.ConditionalCheckFailedException{}, class: errclass.Retriable, target: ErrFenced},
		{name: "commit by a newer epoch", op: "Commit", err: &types.ConditionalCheckFailedException{Item: oldItem("me", 5, 5)}, class: errclass.Retriable, target: ErrFenced},
		{name: "commit after release", op: "Commit", err: &types.ConditionalCheckFailedException{Item: oldItem("", 4, 5)}, class: errclass.Retriable, target: ErrFenced},
		{name: "commit backwards", op: "Commit", err: &types.ConditionalCheckFailedException{Item: oldItem("me", 4, 20)}, class: errclass.Retriable, target: ErrBackwards},
		{name: "fenced release", op: "Release", err: &types.ConditionalCheckFailedException{Item: oldItem("other", 5, 5)}, wantNil: true},
		{name: "release throttled", op: "Release", err: &types.ThrottlingException{}, class: errclass.Retriable},
		{name: "malformed old item", op: "Commit", err: &types.ConditionalCheckFailedException{Item: map[string]types.AttributeValue{AttrTopic: num(1)}}, class: errclass.Retriable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewDynamoStore(DynamoConfig{Client: &fakeDynamo{err: tt.err}, Table: "offsets-tbl"})
			if err != nil {
				t.Fatal(err)
			}
			err = ops[tt.op](s)
			if tt.wantNil {
				if err != nil {
					t.Fatalf("%s: %v, want nil", tt.op, err)
				}
				return
			}
			if !errclass.Is(err, tt.class) {
				t.Fatalf("%s: %v is %v, want %v", tt.op, err, errclass.Of(err), tt.class)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Fatalf("%s: %v, want %v", tt.op, err, tt.target)
			}
			for _, w := range []string{"partition conn/orders/3"} {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("%s: error %q does not mention %q", tt.op, err, w)
				}
			}
			if tt.target == nil && !strings.Contains(err.Error(), "offsets-tbl") {
				t.Fatalf("%s: error %q does not name the table", tt.op, err)
			}
			if !errors.Is(err, tt.err) && tt.target == nil && !strings.Contains(tt.name, "malformed") {
				t.Fatalf("%s: error %v does not wrap %v", tt.op, err, tt.err)
			}
		})
	}
}

// TestDynamoRequests checks the conditions the requests carry: they are the store's rules.
func TestDynamoRequests(t *testing.T) {
	f := &fakeDynamo{err: errors.New("stop")}
	s, err := NewDynamoStore(DynamoConfig{Client: f, Table: "tbl", Now: func() time.Time { return time.UnixMilli(1000) }})
	if err != nil {
		t.Fatal(err)
	}
	lease := Lease{Key: testKey, Owner: "me", Epoch: 4}
	tests := []struct {
		name      string
		call      func()
		condition string
		values    map[string]string // placeholder -> N or S value
	}{
		{"acquire", func() { s.Acquire(context.Background(), testKey, "me", time.UnixMilli(5000)) },
			"attribute_not_exists(#owner) OR #until < :now OR #owner = :owner", map[string]string{":now": "1000", ":until": "5000", ":owner": "me"}},
		{"commit", func() { s.Commit(context.Background(), lease, 12) },
			"#owner = :owner AND #epoch = :epoch AND #next <= :next", map[string]string{":epoch": "4", ":next": "12", ":owner": "me"}},
		{"pending", func() { s.SetPending(context.Background(), lease, []string{"a"}) },
			"#owner = :owner AND #epoch = :epoch", map[string]string{":epoch": "4"}},
		{"release", func() { s.Release(context.Background(), lease) },
			"#owner = :owner AND #epoch = :epoch", map[string]string{":epoch": "4"}},
		{"reset", func() { s.Reset(context.Background(), testKey, 3, false) },
			"attribute_not_exists(#owner) OR #until < :now", map[string]string{":next": "3", ":now": "1000"}},
		{"forced reset", func() { s.Reset(context.Background(), testKey, 3, true) }, "", map[string]string{":next": "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.last = nil
			tt.call()
			in := f.last
			if in == nil {
				t.Fatal("no UpdateItem")
			}
			if got := aws.ToString(in.ConditionExpression); got != tt.condition {
				t.Fatalf("condition %q, want %q", got, tt.condition)
			}
			if aws.ToString(in.TableName) != "tbl" || in.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld {
				t.Fatalf("table %q, on failure %q", aws.ToString(in.TableName), in.ReturnValuesOnConditionCheckFailure)
			}
			if pk := in.Key[AttrPartitionKey].(*types.AttributeValueMemberS).Value; pk != "orders/0000000003" {
				t.Fatalf("partition_key %q", pk)
			}
			for ph, want := range tt.values {
				var got string
				switch v := in.ExpressionAttributeValues[ph].(type) {
				case *types.AttributeValueMemberN:
					got = v.Value
				case *types.AttributeValueMemberS:
					got = v.Value
				}
				if got != want {
					t.Errorf("%s = %q, want %q", ph, got, want)
				}
			}
		})
	}
}

func TestNewDynamoStoreValidates(t *testing.T) {
	for _, cfg := range []DynamoConfig{{}, {Client: &fakeDynamo{}}, {Table: "t"}} {
		if _, err := NewDynamoStore(cfg); !errclass.Is(err, errclass.BadConfig) {
			t.Errorf("NewDynamoStore(%+v): %v, want a BadConfig error", cfg, err)
		}
	}
}

func TestDecodeItem(t *testing.T) {
	full := oldItem("me", 4, 9)
	full[AttrPending] = &types.AttributeValueMemberL{Value: []types.AttributeValue{str("a"), str("b")}}
	tests := []struct {
		name    string
		av      map[string]types.AttributeValue
		want    item
		wantErr string
	}{
		{name: "full", av: full, want: item{Connector: "conn", Topic: "orders", Partition: 3, Next: 9, Owner: "me", Until: 1_800_000_000_000, Epoch: 4, Pending: []string{"a", "b"}, Updated: 1}},
		{name: "no next offset", av: map[string]types.AttributeValue{AttrConnector: str("c"), AttrTopic: str("t"), AttrPartition: num(0)}, want: item{Connector: "c", Topic: "t", Next: -1}},
		{name: "missing topic", av: map[string]types.AttributeValue{AttrConnector: str("c"), AttrPartition: num(0)}, wantErr: "attribute topic missing"},
		{name: "wrong type", av: map[string]types.AttributeValue{AttrConnector: str("c"), AttrTopic: str("t"), AttrPartition: str("0")}, wantErr: "partition: *types.AttributeValueMemberS, want N"},
		{name: "partition overflows", av: map[string]types.AttributeValue{AttrConnector: str("c"), AttrTopic: str("t"), AttrPartition: num(1 << 40)}, wantErr: "out of range"},
		{name: "pending not strings", av: map[string]types.AttributeValue{AttrConnector: str("c"), AttrTopic: str("t"), AttrPartition: num(0), AttrPending: &types.AttributeValueMemberL{Value: []types.AttributeValue{num(1)}}}, wantErr: "pending[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeItem(tt.av)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodeItem: %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Connector != tt.want.Connector || got.Topic != tt.want.Topic || got.Partition != tt.want.Partition ||
				got.Next != tt.want.Next || got.Owner != tt.want.Owner || got.Until != tt.want.Until || got.Epoch != tt.want.Epoch ||
				got.Updated != tt.want.Updated || strings.Join(got.Pending, ",") != strings.Join(tt.want.Pending, ",") {
				t.Fatalf("decodeItem = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestPartitionKey(t *testing.T) {
	for _, tt := range []struct {
		k    Key
		want string
	}{
		{Key{Topic: "orders", Partition: 0}, "orders/0000000000"},
		{Key{Topic: "a.b-c_d", Partition: 42}, "a.b-c_d/0000000042"},
		{Key{Topic: "t", Partition: 2147483647}, "t/2147483647"},
	} {
		if got := partitionKey(tt.k); got != tt.want {
			t.Errorf("partitionKey(%v) = %q, want %q", tt.k, got, tt.want)
		}
	}
}
