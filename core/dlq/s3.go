package dlq

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// S3API is the part of the S3 client the S3 destination uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Config configures an S3 destination.
type S3Config struct {
	Client S3API
	Bucket string
	// Prefix starts every key (default "dead-letters"); letters are named
	// <prefix>/<connector>/<topic>/<partition>/<offset zero-padded to 20>.json.
	Prefix string
}

// S3 writes one JSON object per dead letter. Keys are the record's coordinates, so a retried batch
// rewrites the same objects: each record is there once.
type S3 struct{ cfg S3Config }

// NewS3 validates cfg and returns the destination.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Client == nil || cfg.Bucket == "" {
		return nil, errclass.Config("errors.deadletterqueue.s3.bucket.name", "an S3 dead-letter destination needs a bucket and a client")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "dead-letters"
	}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	return &S3{cfg: cfg}, nil
}

// S3Letter is the JSON document of one dead letter. Key and Value are the original bytes (base64
// in JSON; null for a null key or value); Headers keep their order; Errors holds Connect's error
// context headers as a map.
type S3Letter struct {
	Topic         string            `json:"topic"`
	Partition     int32             `json:"partition"`
	Offset        int64             `json:"offset"`
	Timestamp     int64             `json:"timestamp"`
	TimestampType string            `json:"timestampType"`
	Key           []byte            `json:"key"`
	Value         []byte            `json:"value"`
	Headers       []S3Header        `json:"headers"`
	Errors        map[string]string `json:"errors"`
}

// S3Header is one original header.
type S3Header struct {
	Key   string `json:"key"`
	Value []byte `json:"value"`
}

// Key returns the object key of a letter.
func (d *S3) Key(l Letter) string {
	return d.cfg.Prefix + "/" + l.Connector + "/" + l.Record.Topic + "/" +
		strconv.FormatInt(int64(l.Record.Partition), 10) + "/" + fmt.Sprintf("%020d", l.Record.Offset) + ".json"
}

// Send writes every letter; it returns the first error, naming the record.
func (d *S3) Send(ctx context.Context, letters []Letter) error {
	for _, l := range letters {
		doc := S3Letter{Topic: l.Record.Topic, Partition: l.Record.Partition, Offset: l.Record.Offset,
			Timestamp: l.Record.Timestamp, TimestampType: l.Record.TimestampType.String(),
			Key: l.Record.Key, Value: l.Record.Value, Headers: []S3Header{}, Errors: map[string]string{}}
		for _, h := range l.Record.Headers {
			doc.Headers = append(doc.Headers, S3Header{Key: h.Key, Value: h.Value})
		}
		for _, h := range ContextHeaders(l) {
			doc.Errors[h.Key] = string(h.Value)
		}
		body, err := json.Marshal(doc)
		if err != nil {
			return errclass.New(errclass.BadRecord, subject(l), err)
		}
		key := d.Key(l)
		if _, err := d.cfg.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.cfg.Bucket), Key: aws.String(key),
			Body: bytes.NewReader(body), ContentType: aws.String("application/json")}); err != nil {
			return errclass.New(errclass.Retriable, subject(l), fmt.Errorf("writing s3://%s/%s: %w", d.cfg.Bucket, key, err))
		}
	}
	return nil
}
