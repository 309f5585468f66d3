package kafkalocal

import (
	"context"
	"testing"
	"time"
)

// ForTest returns a cluster for one test: the external cluster $KAFKA_BROKERS names when it is
// set, else a kfake cluster of one broker, closed when the test ends. It fails tb when kfake cannot
// start or KAFKA_BROKERS is malformed.
//
// An external cluster is shared with whatever else uses it: tests must not share topic names
// (use a random suffix).
func ForTest(tb testing.TB) *Cluster {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Start(ctx, Options{})
	if err != nil {
		tb.Fatalf("kafkalocal: %v (unset %s to use an embedded broker)", err, EnvBrokers)
	}
	tb.Cleanup(c.Close)
	return c
}
