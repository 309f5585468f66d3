package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// childEnvVar makes the test binary act as the command run next to the emulator: it lists the
// tables with the SDK's default configuration, as a Lambda function would, and exits 7.
const childEnvVar = "WITH_DYNAMODB_LOCAL_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnvVar) != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

func child() int {
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 7
}

func TestRunsCommandNextToTheEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	t.Setenv(childEnvVar, "1")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	old := os.Args
	defer func() { os.Args = old }()
	os.Args = []string{"with-dynamodb-local", "--", os.Args[0], "-test.run=^$"}
	if code := run(); code != 7 {
		t.Fatalf("exit code %d, want the command's 7", code)
	}
}

func TestUsage(t *testing.T) {
	old := os.Args
	defer func() { os.Args = old }()
	for _, args := range [][]string{{"x"}, {"x", "--"}, {"x", "-nope", "--", "true"}} {
		os.Args = args
		if code := run(); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

func TestChildEnv(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string // entries that must be the effective values
	}{
		{"all unset", []string{"PATH=/bin"}, []string{"AWS_ENDPOINT_URL_DYNAMODB=http://e", "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "PATH=/bin"}},
		{"kept when set", []string{"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AK", "AWS_SECRET_ACCESS_KEY=SK"}, []string{"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AK", "AWS_SECRET_ACCESS_KEY=SK"}},
		{"empty counts as unset", []string{"AWS_REGION="}, []string{"AWS_REGION=us-east-1"}},
		{"endpoint replaced", []string{"AWS_ENDPOINT_URL_DYNAMODB=http://old"}, []string{"AWS_ENDPOINT_URL_DYNAMODB=http://e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := effective(childEnv(tt.env, "http://e"))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("effective environment %q lacks %q", got, w)
				}
			}
		})
	}
}

// effective resolves duplicates as os/exec does: the last value of a name wins.
func effective(env []string) []string {
	last := map[string]string{}
	var order []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = v
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+last[k])
	}
	return out
}

func TestExitCode(t *testing.T) {
	runErr := func(script string) error { return exec.Command("sh", "-c", script).Run() }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"exit 3", runErr("exit 3"), 3},
		{"killed", runErr("kill -TERM $$"), 128 + 15},
		{"not an exit", errors.New("boom"), 1},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
