package dynamolocal

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the emulator ForTest starts, one per process.
var shared struct {
	once sync.Once
	inst *Instance
	err  error
	took time.Duration
}

// ForTest returns the endpoint of a DynamoDB Local for tests: $AWS_ENDPOINT_URL_DYNAMODB when set,
// else the endpoint of an emulator started on the first call and shared by every test of the
// process. The emulator is stopped by RunTests, or killed by the kernel when the test binary exits
// (Linux). ForTest fails tb when the emulator cannot be started.
//
// Tests sharing the emulator must not share table names: use a random suffix.
func ForTest(tb testing.TB) string {
	tb.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		t0 := time.Now()
		shared.inst, shared.err = Start(ctx, Options{})
		shared.took = time.Since(t0)
		if shared.err == nil {
			tb.Logf("dynamolocal: started DynamoDB Local at %s in %v", shared.inst.Endpoint(), shared.took.Round(time.Millisecond))
		}
	})
	if shared.err != nil {
		tb.Fatalf("%v\n(set %s to use a running DynamoDB Local, or run the tests under `go run ./infra/cmd/with-dynamodb-local -- go test ...`)", shared.err, EnvEndpoint)
	}
	return shared.inst.Endpoint()
}

// RunTests runs m and then stops the emulator ForTest started, if any; it returns m's exit code.
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }
func RunTests(m *testing.M) int {
	code := m.Run()
	shared.once.Do(func() {}) // synchronises with a start, and prevents a later one
	if shared.inst != nil {
		if err := shared.inst.Close(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
		}
	}
	return code
}
