// Package glueregistry is a client of the AWS Glue Schema Registry and the Avro converter that
// uses it: AWSKafkaAvroConverter (com.amazonaws.services.schemaregistry.kafkaconnect), configured
// with Glue's property names (region, registry.name, schemaName, schemaAutoRegistrationEnabled,
// compression, avroRecordType...), reading and writing records framed by converters/gluewire and
// mapping Avro to Connect data with converters/avroconv.
//
// The client resolves a schema version UUID to its definition and data format (GetSchemaVersion),
// looks schemas up by definition (GetSchemaByDefinition) and registers them (RegisterSchemaVersion,
// CreateSchema for a new schema), caching by UUID and by definition so that a schema is fetched
// once, never per record. Errors are classified with core/errclass: an unknown schema version is
// a BadRecord error matching ErrNotFound; refused access a BadConfig one; throttling, service
// errors and network failures Retriable.
package glueregistry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-connect/lambda-connect/converters/gluewire"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// ErrNotFound matches errors about a schema, schema version or registry Glue does not know.
var ErrNotFound = errors.New("not found in the Glue schema registry")

// API is the part of *glue.Client the client uses.
type API interface {
	GetSchemaVersion(ctx context.Context, in *glue.GetSchemaVersionInput, optFns ...func(*glue.Options)) (*glue.GetSchemaVersionOutput, error)
	GetSchemaByDefinition(ctx context.Context, in *glue.GetSchemaByDefinitionInput, optFns ...func(*glue.Options)) (*glue.GetSchemaByDefinitionOutput, error)
	RegisterSchemaVersion(ctx context.Context, in *glue.RegisterSchemaVersionInput, optFns ...func(*glue.Options)) (*glue.RegisterSchemaVersionOutput, error)
	CreateSchema(ctx context.Context, in *glue.CreateSchemaInput, optFns ...func(*glue.Options)) (*glue.CreateSchemaOutput, error)
}

// SchemaVersion is one schema version of the registry.
type SchemaVersion struct {
	ID         [16]byte
	Definition string
	DataFormat string // AVRO, JSON, PROTOBUF
	SchemaArn  string
	Version    int64
	Status     string // AVAILABLE, PENDING, FAILURE, DELETING
}

// ClientOptions configure a Client.
type ClientOptions struct {
	// RegistryName is the registry schemas are looked up and registered in (default-registry
	// when empty).
	RegistryName string
	// AutoRegister registers unknown schemas (schemaAutoRegistrationEnabled); otherwise an
	// unknown schema is an error.
	AutoRegister bool
	// Compatibility is the compatibility of schemas the client creates (BACKWARD when empty).
	Compatibility string
	// Description is the description of schemas the client creates.
	Description string
	// CacheSize bounds the schema versions kept by UUID and by definition (1000 when zero).
	CacheSize int
	// PollInterval and PollAttempts bound the wait for a registered version to become
	// AVAILABLE (200ms and 10 when zero).
	PollInterval time.Duration
	PollAttempts int
}

// Client resolves and registers Glue schema versions, cached. It is safe for concurrent use.
type Client struct {
	api  API
	opts ClientOptions

	mu       sync.Mutex
	byID     map[[16]byte]SchemaVersion
	byDef    map[defKey]SchemaVersion
	inflight map[any]*call
}

type defKey struct{ schema, format, definition string }

type call struct {
	done chan struct{}
	v    SchemaVersion
	err  error
}

// DefaultRegistryName is Glue's serializers' default registry.
const DefaultRegistryName = "default-registry"

// NewClient returns a client over api (a *glue.Client, or a fake in tests).
func NewClient(api API, opts ClientOptions) *Client {
	if opts.RegistryName == "" {
		opts.RegistryName = DefaultRegistryName
	}
	if opts.Compatibility == "" {
		opts.Compatibility = string(types.CompatibilityBackward)
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1000
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 200 * time.Millisecond
	}
	if opts.PollAttempts <= 0 {
		opts.PollAttempts = 10
	}
	return &Client{api: api, opts: opts, byID: map[[16]byte]SchemaVersion{}, byDef: map[defKey]SchemaVersion{}, inflight: map[any]*call{}}
}

// once runs fill for key once across concurrent callers, caching successes with store.
func (c *Client) once(ctx context.Context, key any, cached func() (SchemaVersion, bool), fill func() (SchemaVersion, error), store func(SchemaVersion)) (SchemaVersion, error) {
	c.mu.Lock()
	if v, ok := cached(); ok {
		c.mu.Unlock()
		return v, nil
	}
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.v, cl.err
		case <-ctx.Done():
			return SchemaVersion{}, errclass.New(errclass.Retriable, "glue schema registry", ctx.Err())
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()
	cl.v, cl.err = fill()
	c.mu.Lock()
	delete(c.inflight, key)
	if cl.err == nil {
		if len(c.byID) >= c.opts.CacheSize {
			clear(c.byID)
		}
		if len(c.byDef) >= c.opts.CacheSize {
			clear(c.byDef)
		}
		store(cl.v)
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.v, cl.err
}

// SchemaVersion returns the schema version id (GetSchemaVersion), fetched once and cached. An
// unknown id is a BadRecord error matching ErrNotFound.
func (c *Client) SchemaVersion(ctx context.Context, id [16]byte) (SchemaVersion, error) {
	return c.once(ctx, id,
		func() (SchemaVersion, bool) { v, ok := c.byID[id]; return v, ok },
		func() (SchemaVersion, error) {
			uuid := gluewire.FormatUUID(id)
			out, err := c.api.GetSchemaVersion(ctx, &glue.GetSchemaVersionInput{SchemaVersionId: aws.String(uuid)})
			if err != nil {
				return SchemaVersion{}, classify("schema version "+uuid, err, errclass.BadRecord)
			}
			v := SchemaVersion{ID: id, Definition: aws.ToString(out.SchemaDefinition), DataFormat: string(out.DataFormat),
				SchemaArn: aws.ToString(out.SchemaArn), Version: aws.ToInt64(out.VersionNumber), Status: string(out.Status)}
			if v.Status != "" && v.Status != string(types.SchemaVersionStatusAvailable) {
				return SchemaVersion{}, errclass.Record("schema version "+uuid, "glue schema registry: status %s, not AVAILABLE", v.Status)
			}
			return v, nil
		},
		func(v SchemaVersion) { c.byID[id] = v })
}

// Lookup returns the version of schemaName whose definition is definition
// (GetSchemaByDefinition), cached. An unknown schema or definition matches ErrNotFound.
func (c *Client) Lookup(ctx context.Context, schemaName, dataFormat, definition string) (SchemaVersion, error) {
	key := defKey{schemaName, dataFormat, definition}
	return c.once(ctx, key,
		func() (SchemaVersion, bool) { v, ok := c.byDef[key]; return v, ok },
		func() (SchemaVersion, error) { return c.lookup(ctx, schemaName, dataFormat, definition) },
		func(v SchemaVersion) { c.byDef[key] = v; c.byID[v.ID] = v })
}

func (c *Client) lookup(ctx context.Context, schemaName, dataFormat, definition string) (SchemaVersion, error) {
	out, err := c.api.GetSchemaByDefinition(ctx, &glue.GetSchemaByDefinitionInput{
		SchemaId:         &types.SchemaId{RegistryName: aws.String(c.opts.RegistryName), SchemaName: aws.String(schemaName)},
		SchemaDefinition: aws.String(definition),
	})
	if err != nil {
		return SchemaVersion{}, classify("schema "+c.opts.RegistryName+"/"+schemaName, err, errclass.BadRecord)
	}
	id, err := gluewire.ParseUUID(aws.ToString(out.SchemaVersionId))
	if err != nil {
		return SchemaVersion{}, errclass.New(errclass.Retriable, "schema "+schemaName, err)
	}
	v := SchemaVersion{ID: id, Definition: definition, DataFormat: string(out.DataFormat), SchemaArn: aws.ToString(out.SchemaArn), Status: string(out.Status)}
	if v.DataFormat == "" {
		v.DataFormat = dataFormat
	}
	if v.Status != "" && v.Status != string(types.SchemaVersionStatusAvailable) {
		return c.waitAvailable(ctx, v)
	}
	return v, nil
}

// Register returns the version of schemaName with definition, registering it when it is new and
// the client auto-registers (RegisterSchemaVersion; CreateSchema when the schema itself is new),
// and waiting for it to become AVAILABLE; cached.
func (c *Client) Register(ctx context.Context, schemaName, dataFormat, definition string) (SchemaVersion, error) {
	key := defKey{schemaName, dataFormat, definition}
	return c.once(ctx, key,
		func() (SchemaVersion, bool) { v, ok := c.byDef[key]; return v, ok },
		func() (SchemaVersion, error) {
			v, err := c.lookup(ctx, schemaName, dataFormat, definition)
			if err == nil || !errors.Is(err, ErrNotFound) {
				return v, err
			}
			if !c.opts.AutoRegister {
				return SchemaVersion{}, errclass.New(errclass.BadRecord, "schema "+c.opts.RegistryName+"/"+schemaName,
					fmt.Errorf("the schema is not registered and schemaAutoRegistrationEnabled is false: %w", err))
			}
			return c.register(ctx, schemaName, dataFormat, definition)
		},
		func(v SchemaVersion) { c.byDef[key] = v; c.byID[v.ID] = v })
}

func (c *Client) register(ctx context.Context, schemaName, dataFormat, definition string) (SchemaVersion, error) {
	subject := "schema " + c.opts.RegistryName + "/" + schemaName
	var idText, status string
	var version int64
	out, err := c.api.RegisterSchemaVersion(ctx, &glue.RegisterSchemaVersionInput{
		SchemaId:         &types.SchemaId{RegistryName: aws.String(c.opts.RegistryName), SchemaName: aws.String(schemaName)},
		SchemaDefinition: aws.String(definition),
	})
	switch {
	case err == nil:
		idText, status, version = aws.ToString(out.SchemaVersionId), string(out.Status), aws.ToInt64(out.VersionNumber)
	case errors.Is(classify("", err, errclass.BadRecord), ErrNotFound):
		// A new schema: create it with this definition as its first version.
		created, cerr := c.api.CreateSchema(ctx, &glue.CreateSchemaInput{
			RegistryId:       &types.RegistryId{RegistryName: aws.String(c.opts.RegistryName)},
			SchemaName:       aws.String(schemaName),
			DataFormat:       types.DataFormat(dataFormat),
			Compatibility:    types.Compatibility(c.opts.Compatibility),
			SchemaDefinition: aws.String(definition),
			Description:      nonEmpty(c.opts.Description),
		})
		if cerr != nil {
			return SchemaVersion{}, classify(subject, cerr, errclass.BadRecord)
		}
		idText, status, version = aws.ToString(created.SchemaVersionId), string(created.SchemaVersionStatus), 1
	default:
		return SchemaVersion{}, classify(subject, err, errclass.BadRecord)
	}
	id, err := gluewire.ParseUUID(idText)
	if err != nil {
		return SchemaVersion{}, errclass.New(errclass.Retriable, subject, err)
	}
	v := SchemaVersion{ID: id, Definition: definition, DataFormat: dataFormat, Version: version, Status: status}
	if status != "" && status != string(types.SchemaVersionStatusAvailable) {
		return c.waitAvailable(ctx, v)
	}
	return v, nil
}

// waitAvailable polls GetSchemaVersion until v is AVAILABLE, as Glue's serializers do.
func (c *Client) waitAvailable(ctx context.Context, v SchemaVersion) (SchemaVersion, error) {
	uuid := gluewire.FormatUUID(v.ID)
	for i := 0; i < c.opts.PollAttempts; i++ {
		out, err := c.api.GetSchemaVersion(ctx, &glue.GetSchemaVersionInput{SchemaVersionId: aws.String(uuid)})
		if err != nil {
			return SchemaVersion{}, classify("schema version "+uuid, err, errclass.BadRecord)
		}
		switch out.Status {
		case types.SchemaVersionStatusAvailable:
			v.Status = string(out.Status)
			if out.VersionNumber != nil {
				v.Version = *out.VersionNumber
			}
			return v, nil
		case types.SchemaVersionStatusFailure, types.SchemaVersionStatusDeleting:
			return SchemaVersion{}, errclass.Record("schema version "+uuid, "glue schema registry: registration ended with status %s (incompatible with the schema's compatibility setting?)", out.Status)
		}
		select {
		case <-time.After(c.opts.PollInterval):
		case <-ctx.Done():
			return SchemaVersion{}, errclass.New(errclass.Retriable, "schema version "+uuid, ctx.Err())
		}
	}
	return SchemaVersion{}, errclass.Retry("schema version "+uuid, "glue schema registry: still %s after %d checks", v.Status, c.opts.PollAttempts)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// notFound wraps an EntityNotFoundException so that it matches ErrNotFound.
type notFound struct{ err error }

func (e notFound) Error() string        { return e.err.Error() }
func (e notFound) Unwrap() []error      { return []error{e.err, ErrNotFound} }
func (e notFound) Is(target error) bool { return target == ErrNotFound }

// classify gives a Glue error its class: not found and invalid input the class of the caller's
// subject (BadRecord for schemas), refused access BadConfig, anything else (throttling, service
// errors, network failures, timeouts) Retriable. Glue's error code and message are kept.
func classify(subject string, err error, notFoundClass errclass.Class) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return errclass.New(errclass.Retriable, subject, fmt.Errorf("glue schema registry: %w", err))
	}
	switch code := apiErr.ErrorCode(); code {
	case "EntityNotFoundException":
		return errclass.New(notFoundClass, subject, fmt.Errorf("glue schema registry: %w", notFound{err}))
	case "InvalidInputException", "AlreadyExistsException", "ResourceNumberLimitExceededException":
		return errclass.New(errclass.BadRecord, subject, fmt.Errorf("glue schema registry: %w", err))
	case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
		"ExpiredTokenException", "IncompleteSignature", "MissingAuthenticationToken", "InvalidClientTokenId":
		return errclass.New(errclass.BadConfig, RegistryNameProp, fmt.Errorf("%s: glue schema registry refused access (the function role needs glue:GetSchemaVersion, glue:GetSchemaByDefinition, glue:RegisterSchemaVersion, glue:CreateSchema on the registry): %w", subject, err))
	default:
		if strings.HasSuffix(code, "NotFoundException") {
			return errclass.New(notFoundClass, subject, fmt.Errorf("glue schema registry: %w", notFound{err}))
		}
		return errclass.New(errclass.Retriable, subject, fmt.Errorf("glue schema registry: %w", err))
	}
}
