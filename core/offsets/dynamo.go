package offsets

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Attribute names of the DynamoDB table (see the package documentation).
const (
	AttrConnector    = "connector"
	AttrPartitionKey = "partition_key"
	AttrTopic        = "topic"
	AttrPartition    = "partition"
	AttrNext         = "next_offset"
	AttrOwner        = "lease_owner"
	AttrUntil        = "lease_until"
	AttrEpoch        = "epoch"
	AttrPending      = "pending"
	AttrUpdated      = "updated_at"
)

// DynamoAPI is the part of *dynamodb.Client DynamoStore uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DynamoConfig configures a DynamoStore.
type DynamoConfig struct {
	// Client is a DynamoDB client (a *dynamodb.Client). Required.
	Client DynamoAPI
	// Table is the offsets table. Required.
	Table string
	// Now is the clock that decides whether a lease expired (default time.Now).
	Now func() time.Time
}

func (c *DynamoConfig) validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("Client is nil"))
	}
	if c.Table == "" {
		errs = append(errs, errors.New("Table is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return errclass.New(errclass.BadConfig, "offsets", err)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// DynamoStore is a Store in a DynamoDB table, safe for concurrent use by goroutines and by any
// number of processes.
type DynamoStore struct {
	cfg DynamoConfig
}

// NewDynamoStore validates cfg and returns a store. It makes no call to DynamoDB.
func NewDynamoStore(cfg DynamoConfig) (*DynamoStore, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &DynamoStore{cfg: cfg}, nil
}

// names maps the expressions' placeholders to attribute names (all of them, so that no reserved
// word is used bare).
var names = map[string]string{
	"#conn": AttrConnector, "#topic": AttrTopic, "#part": AttrPartition, "#next": AttrNext,
	"#owner": AttrOwner, "#until": AttrUntil, "#epoch": AttrEpoch, "#pending": AttrPending,
	"#upd": AttrUpdated,
}

// namesFor returns the subset of names an expression set uses; DynamoDB rejects unused ones.
func namesFor(keys ...string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = names[k]
	}
	return m
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func keyAttrs(k Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrConnector: str(k.Connector), AttrPartitionKey: str(partitionKey(k))}
}

// update runs one conditional UpdateItem. On a failed condition it returns the old item (nil when
// there was none) and errCondition.
func (d *DynamoStore) update(ctx context.Context, k Key, op string, in *dynamodb.UpdateItemInput) (*item, error) {
	in.TableName = aws.String(d.cfg.Table)
	in.Key = keyAttrs(k)
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	out, err := d.cfg.Client.UpdateItem(ctx, in)
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			if len(ccf.Item) == 0 {
				return nil, errCondition
			}
			old, derr := decodeItem(ccf.Item)
			if derr != nil {
				return nil, d.fail(k, op, derr)
			}
			return old, errCondition
		}
		return nil, d.fail(k, op, err)
	}
	if len(out.Attributes) == 0 {
		return nil, nil
	}
	it, err := decodeItem(out.Attributes)
	if err != nil {
		return nil, d.fail(k, op, err)
	}
	return it, nil
}

var errCondition = errors.New("condition failed")

// fail classifies a DynamoDB error: a missing table is BadConfig, anything else (throttling,
// network, server errors) Retriable.
func (d *DynamoStore) fail(k Key, op string, err error) error { return d.failOn(subject(k), op, err) }

func (d *DynamoStore) failOn(subject, op string, err error) error {
	err = fmt.Errorf("offsets table %s: %s: %w", d.cfg.Table, op, err)
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) {
		return errclass.New(errclass.BadConfig, subject, err)
	}
	return errclass.New(errclass.Retriable, subject, err)
}

// Acquire takes k's lease for owner until the given time. It succeeds when no lease is held, the
// held one expired, or owner holds it already; it raises the epoch and returns the partition's
// state. ErrLeaseHeld otherwise.
func (d *DynamoStore) Acquire(ctx context.Context, k Key, owner string, until time.Time) (Lease, error) {
	if err := checkAcquire(k, owner); err != nil {
		return Lease{}, err
	}
	now := toMillis(d.cfg.Now())
	it, err := d.update(ctx, k, "acquire", &dynamodb.UpdateItemInput{
		UpdateExpression: aws.String("SET #topic = :topic, #part = :part, #owner = :owner, #until = :until, " +
			"#epoch = if_not_exists(#epoch, :zero) + :one, #next = if_not_exists(#next, :none), #upd = :now"),
		ConditionExpression:      aws.String("attribute_not_exists(#owner) OR #until < :now OR #owner = :owner"),
		ExpressionAttributeNames: namesFor("#topic", "#part", "#owner", "#until", "#epoch", "#next", "#upd"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":topic": str(k.Topic), ":part": num(int64(k.Partition)), ":owner": str(owner),
			":until": num(toMillis(until)), ":zero": num(0), ":one": num(1), ":none": num(-1), ":now": num(now),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if errors.Is(err, errCondition) {
		if it == nil { // cannot happen: a missing item satisfies the condition
			return Lease{}, errclass.New(errclass.Retriable, subject(k), fmt.Errorf("acquire: condition failed on a missing item: %w", ErrLeaseHeld))
		}
		return Lease{}, heldErr(k, it)
	}
	if err != nil {
		return Lease{}, err
	}
	if it == nil {
		return Lease{}, d.fail(k, "acquire", errors.New("no attributes returned"))
	}
	return it.state(), nil
}

// SetPending records the IDs of the writes l's owner is about to make (nil clears them).
// ErrFenced when l is no longer the current lease.
func (d *DynamoStore) SetPending(ctx context.Context, l Lease, ids []string) error {
	if err := checkLease(l); err != nil {
		return err
	}
	in := &dynamodb.UpdateItemInput{
		ConditionExpression: aws.String("#owner = :owner AND #epoch = :epoch"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": str(l.Owner), ":epoch": num(l.Epoch), ":now": num(toMillis(d.cfg.Now())),
		},
	}
	if len(ids) == 0 {
		in.UpdateExpression = aws.String("SET #upd = :now REMOVE #pending")
	} else {
		list := make([]types.AttributeValue, len(ids))
		for i, id := range ids {
			list[i] = str(id)
		}
		in.UpdateExpression = aws.String("SET #upd = :now, #pending = :ids")
		in.ExpressionAttributeValues[":ids"] = &types.AttributeValueMemberL{Value: list}
	}
	in.ExpressionAttributeNames = namesFor("#owner", "#epoch", "#upd", "#pending")
	old, err := d.update(ctx, l.Key, "set pending", in)
	if errors.Is(err, errCondition) {
		return fencedErr(l, old)
	}
	return err
}

// Commit sets the next offset to process and clears the pending writes. ErrFenced when l is no
// longer the current lease; ErrBackwards when next is below the committed offset.
func (d *DynamoStore) Commit(ctx context.Context, l Lease, next int64) error {
	if err := checkCommit(l, next); err != nil {
		return err
	}
	old, err := d.update(ctx, l.Key, fmt.Sprintf("commit of next offset %d", next), &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("SET #next = :next, #upd = :now REMOVE #pending"),
		ConditionExpression:      aws.String("#owner = :owner AND #epoch = :epoch AND #next <= :next"),
		ExpressionAttributeNames: namesFor("#owner", "#epoch", "#next", "#upd", "#pending"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": str(l.Owner), ":epoch": num(l.Epoch), ":next": num(next), ":now": num(toMillis(d.cfg.Now())),
		},
	})
	if errors.Is(err, errCondition) {
		if old == nil || !old.current(l) {
			return fencedErr(l, old)
		}
		return backwardsErr(l.Key, next, old.Next)
	}
	return err
}

// Release gives up l. Releasing a lease that is no longer current does nothing.
func (d *DynamoStore) Release(ctx context.Context, l Lease) error {
	if err := checkLease(l); err != nil {
		if errors.Is(err, ErrFenced) {
			return nil
		}
		return err
	}
	_, err := d.update(ctx, l.Key, "release", &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("SET #upd = :now REMOVE #owner, #until"),
		ConditionExpression:      aws.String("#owner = :owner AND #epoch = :epoch"),
		ExpressionAttributeNames: namesFor("#owner", "#epoch", "#upd", "#until"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": str(l.Owner), ":epoch": num(l.Epoch), ":now": num(toMillis(d.cfg.Now())),
		},
	})
	if errors.Is(err, errCondition) {
		return nil
	}
	return err
}

// Get returns k's state (a strongly consistent read); Next is -1 when nothing is stored.
func (d *DynamoStore) Get(ctx context.Context, k Key) (State, error) {
	if err := k.validate(); err != nil {
		return State{}, err
	}
	out, err := d.cfg.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.cfg.Table),
		Key:            keyAttrs(k),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return State{}, d.fail(k, "get", err)
	}
	if len(out.Item) == 0 {
		return State{Key: k, Next: -1}, nil
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return State{}, d.fail(k, "get", err)
	}
	return it.state(), nil
}

// List returns the states of connector's partitions, sorted by topic and partition.
func (d *DynamoStore) List(ctx context.Context, connector string) ([]State, error) {
	if connector == "" {
		return nil, errclass.Config("offsets", "List with an empty connector name")
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.cfg.Table),
		KeyConditionExpression:    aws.String("#conn = :conn"),
		ExpressionAttributeNames:  namesFor("#conn"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":conn": str(connector)},
		ConsistentRead:            aws.Bool(true),
	}
	var states []State
	for {
		out, err := d.cfg.Client.Query(ctx, in)
		if err != nil {
			return nil, d.failOn("connector "+connector, "list", err)
		}
		for _, av := range out.Items {
			it, err := decodeItem(av)
			if err != nil {
				return nil, d.failOn("connector "+connector, "list", err)
			}
			states = append(states, it.state())
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	sortStates(states)
	return states, nil
}

// Reset sets k's next offset (backwards too; -1 for none), raises the epoch and drops the lease,
// fencing its holder. Without force it fails with ErrLeaseHeld while an unexpired lease is held.
// Pending writes are kept, for the next owner to discard.
func (d *DynamoStore) Reset(ctx context.Context, k Key, next int64, force bool) error {
	if err := checkReset(k, next); err != nil {
		return err
	}
	now := toMillis(d.cfg.Now())
	in := &dynamodb.UpdateItemInput{
		UpdateExpression: aws.String("SET #topic = :topic, #part = :part, #next = :next, " +
			"#epoch = if_not_exists(#epoch, :zero) + :one, #upd = :now REMOVE #owner, #until"),
		ExpressionAttributeNames: namesFor("#topic", "#part", "#next", "#epoch", "#upd", "#owner", "#until"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":topic": str(k.Topic), ":part": num(int64(k.Partition)), ":next": num(next),
			":zero": num(0), ":one": num(1), ":now": num(now),
		},
	}
	if !force {
		in.ConditionExpression = aws.String("attribute_not_exists(#owner) OR #until < :now")
	}
	old, err := d.update(ctx, k, fmt.Sprintf("reset to %d", next), in)
	if errors.Is(err, errCondition) {
		if old == nil {
			old = &item{}
		}
		return heldErr(k, old)
	}
	return err
}

// decodeItem reads an item of the table.
func decodeItem(av map[string]types.AttributeValue) (*item, error) {
	var it item
	var errs []error
	getS := func(name string, required bool) string {
		v, ok := av[name]
		if !ok {
			if required {
				errs = append(errs, fmt.Errorf("attribute %s missing", name))
			}
			return ""
		}
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			errs = append(errs, fmt.Errorf("attribute %s: %T, want S", name, v))
			return ""
		}
		return s.Value
	}
	getN := func(name string, required bool, bits int) int64 {
		v, ok := av[name]
		if !ok {
			if required {
				errs = append(errs, fmt.Errorf("attribute %s missing", name))
			}
			return 0
		}
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			errs = append(errs, fmt.Errorf("attribute %s: %T, want N", name, v))
			return 0
		}
		x, err := strconv.ParseInt(n.Value, 10, bits)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", name, err))
		}
		return x
	}
	it.Connector = getS(AttrConnector, true)
	it.Topic = getS(AttrTopic, true)
	it.Partition = int32(getN(AttrPartition, true, 32))
	it.Next = getN(AttrNext, false, 64)
	if _, ok := av[AttrNext]; !ok {
		it.Next = -1
	}
	it.Owner = getS(AttrOwner, false)
	it.Until = getN(AttrUntil, false, 64)
	it.Epoch = getN(AttrEpoch, false, 64)
	it.Updated = getN(AttrUpdated, false, 64)
	if v, ok := av[AttrPending]; ok {
		l, ok := v.(*types.AttributeValueMemberL)
		if !ok {
			errs = append(errs, fmt.Errorf("attribute %s: %T, want L", AttrPending, v))
		} else {
			for i, e := range l.Value {
				s, ok := e.(*types.AttributeValueMemberS)
				if !ok {
					errs = append(errs, fmt.Errorf("attribute %s[%d]: %T, want S", AttrPending, i, e))
					continue
				}
				it.Pending = append(it.Pending, s.Value)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("malformed item: %w", err)
	}
	return &it, nil
}

// TableAPI is the part of *dynamodb.Client CreateTable uses.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// CreateTable creates the offsets table (on-demand capacity) with the layout DynamoStore uses, for
// tests and local runs, and waits until it is active. A table that exists already is accepted.
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	return CreateKeyedTable(ctx, client, table, AttrConnector, AttrPartitionKey)
}

// CreateKeyedTable creates an on-demand table whose key is a string hash attribute and a string
// range attribute, and waits until it is active; a table that exists already is accepted. The
// offsets table and the S3 source's checkpoint ledger are such tables.
func CreateKeyedTable(ctx context.Context, client TableAPI, table, hash, rangeKey string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(hash), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(rangeKey), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(rangeKey), KeyType: types.KeyTypeRange},
		},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return errclass.New(errclass.Retriable, "table "+table, fmt.Errorf("creating: %w", err))
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 2*time.Minute); err != nil {
		return errclass.New(errclass.Retriable, "table "+table, fmt.Errorf("waiting until it is active: %w", err))
	}
	return nil
}
