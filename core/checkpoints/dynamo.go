package checkpoints

import (
	"context"
	"errors"
	"fmt"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Attribute names.
const (
	AttrObject    = "object"
	AttrVersion   = "version"
	AttrStatus    = "status"
	AttrPosition  = "position"
	AttrChunkEnd  = "chunk_end"
	AttrEnds      = "end_offsets"
	AttrRecords   = "records"
	AttrOwner     = "lease_owner"
	AttrUntil     = "lease_until"
	AttrEpoch     = "epoch"
	AttrSequencer = "sequencer"
	AttrUpdated   = "updated_at"
	AttrExpires   = "expires_at"

	sequencerItem  = "sequencer"
	sequencerWidth = 64
)

// DynamoAPI is the part of *dynamodb.Client the store uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoConfig configures a DynamoStore.
type DynamoConfig struct {
	Client DynamoAPI // required
	Table  string    // required
	// Retention is how long a COMPLETE item is kept (its TTL); default 30 days. Redeliveries
	// of an event older than that would produce the object again.
	Retention time.Duration
	Now       func() time.Time // default time.Now
}

// DynamoStore is the ledger in a DynamoDB table; safe for concurrent use.
type DynamoStore struct{ cfg DynamoConfig }

// NewDynamoStore validates cfg. It makes no call.
func NewDynamoStore(cfg DynamoConfig) (*DynamoStore, error) {
	var errs []error
	if cfg.Client == nil {
		errs = append(errs, errors.New("Client is nil"))
	}
	if cfg.Table == "" {
		errs = append(errs, errors.New("Table is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errclass.New(errclass.BadConfig, "checkpoints", err)
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &DynamoStore{cfg: cfg}, nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func keyOf(o ObjectID) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrObject: str(o.Bucket + "/" + o.Key), AttrVersion: str(o.Version())}
}

var errCondition = errors.New("condition failed")

func (d *DynamoStore) fail(o ObjectID, op string, err error) error {
	err = fmt.Errorf("checkpoints table %s: %s: %w", d.cfg.Table, op, err)
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) {
		return errclass.New(errclass.BadConfig, o.String(), err)
	}
	return errclass.New(errclass.Retriable, o.String(), err)
}

func (d *DynamoStore) update(ctx context.Context, o ObjectID, op string, in *dynamodb.UpdateItemInput) (map[string]types.AttributeValue, error) {
	in.TableName = aws.String(d.cfg.Table)
	if in.Key == nil {
		in.Key = keyOf(o)
	}
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	out, err := d.cfg.Client.UpdateItem(ctx, in)
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return ccf.Item, errCondition
		}
		return nil, d.fail(o, op, err)
	}
	return out.Attributes, nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// Acquire takes o's lease for owner until the given time, raising the epoch. ErrComplete when
// the object is complete, ErrLeaseHeld when another owner holds an unexpired lease.
func (d *DynamoStore) Acquire(ctx context.Context, o ObjectID, owner string, until time.Time) (Lease, error) {
	if err := o.validate(); err != nil || owner == "" {
		if err == nil {
			err = errors.New("empty owner")
		}
		return Lease{}, errclass.New(errclass.BadConfig, "checkpoint", err)
	}
	now := ms(d.cfg.Now())
	attrs, err := d.update(ctx, o, "acquire", &dynamodb.UpdateItemInput{
		UpdateExpression: aws.String("SET #owner = :owner, #until = :until, #epoch = if_not_exists(#epoch, :zero) + :one, " +
			"#status = if_not_exists(#status, :inprog), #pos = if_not_exists(#pos, :zero), #cend = if_not_exists(#cend, :zero), #upd = :now"),
		ConditionExpression: aws.String("(attribute_not_exists(#status) OR #status <> :complete) AND (attribute_not_exists(#owner) OR #until < :now OR #owner = :owner)"),
		ExpressionAttributeNames: map[string]string{"#owner": AttrOwner, "#until": AttrUntil, "#epoch": AttrEpoch,
			"#status": AttrStatus, "#pos": AttrPosition, "#cend": AttrChunkEnd, "#upd": AttrUpdated},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner), ":until": num(ms(until)), ":zero": num(0),
			":one": num(1), ":inprog": str(string(InProgress)), ":complete": str(string(Complete)), ":now": num(now)},
		ReturnValues: types.ReturnValueAllNew,
	})
	if errors.Is(err, errCondition) {
		old, derr := decode(o, attrs)
		if derr != nil {
			return Lease{}, d.fail(o, "acquire", derr)
		}
		if old.Status == Complete {
			return Lease{}, errclass.New(errclass.Retriable, o.String(), fmt.Errorf("%w (%d records)", ErrComplete, old.Records))
		}
		return Lease{}, errclass.New(errclass.Retriable, o.String(), fmt.Errorf("%w: %s until %s", ErrLeaseHeld, old.Owner, old.Until.UTC().Format(time.RFC3339Nano)))
	}
	if err != nil {
		return Lease{}, err
	}
	l, err := decode(o, attrs)
	if err != nil {
		return Lease{}, d.fail(o, "acquire", err)
	}
	return l, nil
}

func leaseCond(l Lease) (string, map[string]types.AttributeValue) {
	return "#owner = :owner AND #epoch = :epoch", map[string]types.AttributeValue{":owner": str(l.Owner), ":epoch": num(l.Epoch)}
}

func (d *DynamoStore) fenced(l Lease, attrs map[string]types.AttributeValue) error {
	old, _ := decode(l.Object, attrs)
	return errclass.New(errclass.Retriable, l.Object.String(), fmt.Errorf("%w (epoch %d, now %d held by %q)", ErrFenced, l.Epoch, old.Epoch, old.Owner))
}

// Save records that records [0, position) are in Kafka and that records [position, chunkEnd)
// are about to be sent, with the end offsets observed before sending them. It returns the lease
// updated. ErrFenced when l is no longer current, ErrBackwards when position < l's.
func (d *DynamoStore) Save(ctx context.Context, l Lease, position, chunkEnd int64, ends []Offset) (Lease, error) {
	if position < l.Position || chunkEnd < position {
		return l, errclass.New(errclass.Retriable, l.Object.String(), fmt.Errorf("%w: position %d after %d, chunk end %d", ErrBackwards, position, l.Position, chunkEnd))
	}
	ends = append([]Offset(nil), ends...)
	SortOffsets(ends)
	list := make([]types.AttributeValue, len(ends))
	for i, e := range ends {
		list[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"t": str(e.Topic), "p": num(int64(e.Partition)), "o": num(e.Offset)}}
	}
	cond, vals := leaseCond(l)
	vals[":pos"], vals[":cend"], vals[":ends"], vals[":now"] = num(position), num(chunkEnd), &types.AttributeValueMemberL{Value: list}, num(ms(d.cfg.Now()))
	attrs, err := d.update(ctx, l.Object, "save", &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String("SET #pos = :pos, #cend = :cend, #ends = :ends, #upd = :now"),
		ConditionExpression:       aws.String(cond + " AND #pos <= :pos"),
		ExpressionAttributeNames:  map[string]string{"#owner": AttrOwner, "#epoch": AttrEpoch, "#pos": AttrPosition, "#cend": AttrChunkEnd, "#ends": AttrEnds, "#upd": AttrUpdated},
		ExpressionAttributeValues: vals,
	})
	if errors.Is(err, errCondition) {
		return l, d.fenced(l, attrs)
	}
	if err != nil {
		return l, err
	}
	l.Position, l.ChunkEnd, l.Ends = position, chunkEnd, ends
	return l, nil
}

// Complete marks the object version complete with its record count, drops the lease and sets
// the item's TTL.
func (d *DynamoStore) Complete(ctx context.Context, l Lease, records int64) error {
	cond, vals := leaseCond(l)
	now := d.cfg.Now()
	vals[":complete"], vals[":n"], vals[":now"], vals[":exp"] = str(string(Complete)), num(records), num(ms(now)), num(now.Add(d.cfg.Retention).Unix())
	attrs, err := d.update(ctx, l.Object, "complete", &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String("SET #status = :complete, #pos = :n, #cend = :n, #rec = :n, #upd = :now, #exp = :exp REMOVE #owner, #until, #ends"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#owner": AttrOwner, "#epoch": AttrEpoch, "#status": AttrStatus, "#pos": AttrPosition, "#cend": AttrChunkEnd, "#rec": AttrRecords, "#upd": AttrUpdated, "#exp": AttrExpires, "#until": AttrUntil, "#ends": AttrEnds},
		ExpressionAttributeValues: vals,
	})
	if errors.Is(err, errCondition) {
		return d.fenced(l, attrs)
	}
	return err
}

// Release gives up l; releasing a lease that is no longer current does nothing.
func (d *DynamoStore) Release(ctx context.Context, l Lease) error {
	cond, vals := leaseCond(l)
	vals[":now"] = num(ms(d.cfg.Now()))
	_, err := d.update(ctx, l.Object, "release", &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String("SET #upd = :now REMOVE #owner, #until"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#owner": AttrOwner, "#epoch": AttrEpoch, "#upd": AttrUpdated, "#until": AttrUntil},
		ExpressionAttributeValues: vals,
	})
	if errors.Is(err, errCondition) {
		return nil
	}
	return err
}

// Get returns o's checkpoint (a strongly consistent read); a missing item is an IN_PROGRESS
// checkpoint at position 0 with epoch 0.
func (d *DynamoStore) Get(ctx context.Context, o ObjectID) (Checkpoint, error) {
	out, err := d.cfg.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.cfg.Table), Key: keyOf(o), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Checkpoint{}, d.fail(o, "get", err)
	}
	if len(out.Item) == 0 {
		return Checkpoint{Object: o, Status: InProgress}, nil
	}
	c, err := decode(o, out.Item)
	if err != nil {
		return Checkpoint{}, d.fail(o, "get", err)
	}
	return c, nil
}

// ObserveSequencer records seq as seen for bucket/key unless a greater one was seen already, in
// which case it returns false (the event is older than one already processed). Events without
// a sequencer are always accepted.
func (d *DynamoStore) ObserveSequencer(ctx context.Context, bucket, key, seq string) (bool, error) {
	if seq == "" {
		return true, nil
	}
	norm := normalizeSequencer(seq)
	o := ObjectID{Bucket: bucket, Key: key, ETag: "-"}
	_, err := d.update(ctx, o, "observe sequencer", &dynamodb.UpdateItemInput{
		Key:                       map[string]types.AttributeValue{AttrObject: str(bucket + "/" + key), AttrVersion: str(sequencerItem)},
		UpdateExpression:          aws.String("SET #seq = :seq, #upd = :now, #exp = :exp"),
		ConditionExpression:       aws.String("attribute_not_exists(#seq) OR #seq <= :seq"),
		ExpressionAttributeNames:  map[string]string{"#seq": AttrSequencer, "#upd": AttrUpdated, "#exp": AttrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":seq": str(norm), ":now": num(ms(d.cfg.Now())), ":exp": num(d.cfg.Now().Add(d.cfg.Retention).Unix())},
	})
	if errors.Is(err, errCondition) {
		return false, nil
	}
	return err == nil, err
}

func decode(o ObjectID, av map[string]types.AttributeValue) (Checkpoint, error) {
	c := Checkpoint{Object: o}
	var errs []error
	n := func(name string) int64 {
		v, ok := av[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", name, err))
		}
		return x
	}
	s := func(name string) string {
		v, _ := av[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	c.Status = Status(s(AttrStatus))
	c.Position, c.ChunkEnd, c.Records, c.Epoch = n(AttrPosition), n(AttrChunkEnd), n(AttrRecords), n(AttrEpoch)
	c.Owner = s(AttrOwner)
	if u := n(AttrUntil); u != 0 {
		c.Until = time.UnixMilli(u)
	}
	if u := n(AttrUpdated); u != 0 {
		c.Updated = time.UnixMilli(u)
	}
	if l, ok := av[AttrEnds].(*types.AttributeValueMemberL); ok {
		for i, e := range l.Value {
			m, ok := e.(*types.AttributeValueMemberM)
			if !ok {
				errs = append(errs, fmt.Errorf("attribute %s[%d] is not a map", AttrEnds, i))
				continue
			}
			sub := decodeOffset(m.Value, &errs)
			c.Ends = append(c.Ends, sub)
		}
	}
	return c, errors.Join(errs...)
}

func decodeOffset(m map[string]types.AttributeValue, errs *[]error) Offset {
	var o Offset
	if t, ok := m["t"].(*types.AttributeValueMemberS); ok {
		o.Topic = t.Value
	}
	for k, dst := range map[string]*int64{"o": &o.Offset} {
		if v, ok := m[k].(*types.AttributeValueMemberN); ok {
			x, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil {
				*errs = append(*errs, err)
			}
			*dst = x
		}
	}
	if v, ok := m["p"].(*types.AttributeValueMemberN); ok {
		x, err := strconv.ParseInt(v.Value, 10, 32)
		if err != nil {
			*errs = append(*errs, err)
		}
		o.Partition = int32(x)
	}
	return o
}

// TableAPI is the part of *dynamodb.Client CreateTable uses.
type TableAPI = offsets.TableAPI

// CreateTable creates the checkpoint table (on-demand) for tests and local runs and waits until
// it is active; an existing table is accepted. (template.yaml creates it in AWS, with the TTL.)
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	return offsets.CreateKeyedTable(ctx, client, table, AttrObject, AttrVersion)
}

// normalizeSequencer upper-cases seq and right-pads it with zeros to sequencerWidth, as S3
// documents comparing sequencers, so that DynamoDB's string comparison orders them.
func normalizeSequencer(seq string) string {
	seq = strings.ToUpper(seq)
	if len(seq) < sequencerWidth {
		seq += strings.Repeat("0", sequencerWidth-len(seq))
	}
	return seq
}
