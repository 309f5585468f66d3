package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestKafkaSASL reaches a broker that requires SCRAM authentication, with the password from the
// environment, and is refused with a wrong one.
func TestKafkaSASL(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "admin", "s3cret"), kfake.SeedTopics(2, "secured"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := strings.Join(c.ListenAddrs(), ",")
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"s3cret", true}, {"wrong", false}} {
		kf := kafkaFlags{bootstrap: brokers, mechanism: "SCRAM-SHA-256", username: "admin"}
		getenv := func(n string) string {
			if n == EnvKafkaPassword {
				return tc.password
			}
			return ""
		}
		if errs := kf.validate(true, getenv); len(errs) > 0 {
			t.Fatal(errs)
		}
		timeout := 10 * time.Second
		if !tc.ok {
			timeout = time.Second // kfake drops the connection and the client retries until the deadline
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		b, err := dialBroker(ctx, &kf, getenv)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := b.partitions(ctx, "secured")
		b.close()
		cancel()
		if tc.ok && (err != nil || len(parts) != 2) {
			t.Errorf("with the password: partitions %v, %v", parts, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("with a wrong password: no error")
		}
	}
}

func TestKafkaFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kf   kafkaFlags
		says string
	}{
		{kafkaFlags{}, "--bootstrap-servers is required"},
		{kafkaFlags{bootstrap: "host"}, `--bootstrap-servers "host"`},
		{kafkaFlags{bootstrap: "h:9092", mechanism: "GSSAPI"}, `--sasl-mechanism "GSSAPI"`},
		{kafkaFlags{bootstrap: "h:9092", mechanism: "PLAIN"}, "needs --sasl-username and the password in $" + EnvKafkaPassword},
	} {
		errs := tc.kf.validate(true, func(string) string { return "" })
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.says) {
			t.Errorf("%+v: %v, want one error saying %q", tc.kf, errs, tc.says)
		}
	}
	if errs := (&kafkaFlags{bootstrap: "h:9092", mechanism: "aws_msk_iam"}).validate(true, func(string) string { return "" }); len(errs) != 0 {
		t.Errorf("AWS_MSK_IAM: %v", errs)
	}
}
