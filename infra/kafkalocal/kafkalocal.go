// Package kafkalocal gives tests and local runs a Kafka cluster and the few client operations they
// need: an in-process broker (franz-go's kfake) listening on free ports of 127.0.0.1, or, when
// KAFKA_BROKERS is set, an external cluster; topic creation; synchronous produce; and reads that
// return records exactly as the broker holds them, as core/record Records.
//
// The broker lives in memory and disappears with Close. Clients are built on franz-go's kgo and
// need no credentials (plaintext, no SASL).
package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// EnvBrokers names an external cluster (comma-separated host:port list) that Start and ForTest use
// instead of starting kfake.
const EnvBrokers = "KAFKA_BROKERS"

// maxBrokers bounds Options.Brokers: kfake runs every broker in this process.
const maxBrokers = 16

// Options configures Start. The zero value starts one kfake broker, unless KAFKA_BROKERS is set.
type Options struct {
	// External lists the bootstrap addresses (host:port) of a running cluster to use instead of
	// starting kfake. Empty means the addresses in $KAFKA_BROKERS, unless Embedded is set.
	External []string
	// Embedded starts kfake even when KAFKA_BROKERS is set.
	Embedded bool
	// Brokers is how many kfake brokers to start (default 1, at most 16).
	Brokers int
	// Logger receives kfake's own logs at debug level; nil discards them.
	Logger *slog.Logger
	// DiscardRecords makes kfake acknowledge produce requests and advance the partitions' end
	// offsets without storing the records (kfake.BlackholeProduce), so that a produce-throughput
	// benchmark measures the clients rather than the broker's storage. Nothing can be fetched back.
	// It implies Embedded.
	DiscardRecords bool
}

func (o Options) validate() (Options, error) {
	var errs []error
	if o.Brokers < 0 || o.Brokers > maxBrokers {
		errs = append(errs, errclass.Config("kafkalocal Options.Brokers", "%d is not in [1, %d]", o.Brokers, maxBrokers))
	}
	if len(o.External) > 0 && o.DiscardRecords {
		errs = append(errs, errclass.Config("kafkalocal Options.DiscardRecords", "only applies to an embedded cluster, not to External"))
	}
	if len(o.External) > 0 && o.Embedded {
		errs = append(errs, errclass.Config("kafkalocal Options", "External and Embedded are exclusive: set one"))
	}
	for _, a := range o.External {
		if err := checkAddr(a); err != nil {
			errs = append(errs, errclass.New(errclass.BadConfig, "kafkalocal Options.External", err))
		}
	}
	if o.Brokers == 0 {
		o.Brokers = 1
	}
	return o, errors.Join(errs...)
}

// Cluster is a running kfake cluster or an external one.
type Cluster struct {
	fake  *kfake.Cluster // nil for an external cluster
	addrs []string
}

// Start returns a cluster: the external one Options.External or $KAFKA_BROKERS names (nothing is
// started, and Close leaves it running; Start checks that it answers within ctx), or a kfake
// cluster of Options.Brokers brokers on free ports of 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := opts.validate()
	if err != nil {
		return nil, err
	}
	ext := opts.External
	if len(ext) == 0 && !opts.Embedded && !opts.DiscardRecords {
		if env := os.Getenv(EnvBrokers); env != "" {
			if ext, err = ParseBrokers(env); err != nil {
				return nil, errclass.New(errclass.BadConfig, EnvBrokers, err)
			}
		}
	}
	if len(ext) > 0 {
		c := &Cluster{addrs: append([]string(nil), ext...)}
		if err := c.ping(ctx); err != nil {
			return nil, err
		}
		return c, nil
	}

	kopts := []kfake.Opt{kfake.NumBrokers(opts.Brokers), kfake.ClusterID("lambda-connect-local")}
	if opts.Logger != nil {
		kopts = append(kopts, kfake.WithLogger(slogLogger{opts.Logger}))
	}
	if opts.DiscardRecords {
		kopts = append(kopts, kfake.BlackholeProduce())
	}
	fake, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, errclass.New(errclass.Retriable, "kafkalocal", fmt.Errorf("starting kfake: %w", err))
	}
	return &Cluster{fake: fake, addrs: fake.ListenAddrs()}, nil
}

// Addrs returns the bootstrap addresses (host:port) of the cluster.
func (c *Cluster) Addrs() []string { return append([]string(nil), c.addrs...) }

// Bootstrap returns the addresses as one comma-separated list, as Kafka clients and Lambda's
// "bootstrapServers" write them.
func (c *Cluster) Bootstrap() string { return strings.Join(c.addrs, ",") }

// External reports whether the cluster is an external one (KAFKA_BROKERS or Options.External).
func (c *Cluster) External() bool { return c.fake == nil }

// Close stops a kfake cluster, dropping everything it held. It does nothing to an external
// cluster. Close is idempotent.
func (c *Cluster) Close() {
	if c.fake != nil {
		c.fake.Close()
	}
}

// ParseBrokers parses a comma-separated list of host:port addresses (KAFKA_BROKERS' format),
// ignoring blanks around entries and empty entries. A list without any address, or an entry that
// is not host:port with a port in 1-65535, is an error.
func ParseBrokers(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if err := checkAddr(f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no broker: want host:port[,host:port...]", s)
	}
	return out, nil
}

// slogLogger adapts slog to kfake's Logger; kfake's levels all go to debug.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	s.l.Debug(fmt.Sprintf(msg, args...), "component", "kfake", "kfake_level", level.String())
}
