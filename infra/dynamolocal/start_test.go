package dynamolocal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// helperEnv makes the test binary act as a process that starts an emulator and exits without
// closing it (see TestEmulatorDiesWithItsParent).
const helperEnv = "DYNAMOLOCAL_TEST_ORPHAN"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		inst, err := Start(context.Background(), Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(inst.pid, inst.LogPath())
		os.Exit(0) // no Close: the kernel must kill the emulator
	}
	os.Exit(RunTests(m))
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestForTestServesAndCloseStops checks the shared emulator ForTest starts, then stops it.
func TestForTestServesAndCloseStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	t.Setenv(EnvEndpoint, "")
	ctx := context.Background()
	t0 := time.Now()
	endpoint := ForTest(t)
	t.Logf("fetch+start took %v", time.Since(t0))
	if again := ForTest(t); again != endpoint {
		t.Fatalf("two emulators: %s and %s", endpoint, again)
	}
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %q", endpoint)
	}
	inst := shared.inst

	client, err := Client(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("shared-table"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("k"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("k"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// -sharedDb: a client with other credentials and region sees the same tables.
	other := dynamodb.New(dynamodb.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("other", "other", ""),
		BaseEndpoint: aws.String(endpoint),
	})
	out, err := other.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "shared-table" {
		t.Fatalf("tables seen with other credentials: %v", out.TableNames)
	}

	logPath, pid := inst.LogPath(), inst.pid
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Fatalf("emulator pid %d alive after Close", pid)
	}
	if _, err := os.Stat(logPath); !os.IsNotExist(err) {
		t.Errorf("temporary log %s not removed: %v", logPath, err)
	}
	if err := inst.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := client.ListTables(actx, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }); err == nil {
		t.Fatal("the emulator answers after Close")
	}
}

func TestEmulatorDiesWithItsParent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		t.Fatalf("helper printed %q", out)
	}
	defer os.Remove(fields[1])
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		t.Fatalf("helper printed %q", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("emulator pid %d outlived its parent by 10 s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStartFailures(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake java is a shell script")
	}
	emu := t.TempDir()
	if err := os.WriteFile(filepath.Join(emu, Jar), []byte("jar"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	crashing := filepath.Join(bin, "java")
	if err := os.WriteFile(crashing, []byte("#!/bin/sh\necho \"boom: $*\" >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	silent := filepath.Join(bin, "silent-java")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "emulator.log")

	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"no jar", Options{Dir: t.TempDir(), Java: crashing}, []string{"holds no DynamoDBLocal.jar"}},
		{"no java", Options{Dir: emu, Java: filepath.Join(bin, "missing")}, []string{"java", "missing"}},
		{"java exits", Options{Dir: emu, Java: crashing, LogPath: logPath}, []string{logPath, "boom: -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -sharedDb", "exited"}},
		{"never answers", Options{Dir: emu, Java: silent, StartTimeout: 500 * time.Millisecond, LogPath: filepath.Join(t.TempDir(), "silent.log")}, []string{"did not answer", "500ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := Start(context.Background(), tt.opts)
			if err == nil {
				inst.Close()
				t.Fatal("Start succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The crashing java was retried on new ports: three attempts logged.
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "boom:"); n != 3 {
		t.Errorf("java ran %d times, want 3:\n%s", n, b)
	}
}

func TestForTestPrefersEnvironment(t *testing.T) {
	t.Setenv(EnvEndpoint, "http://127.0.0.1:1")
	if got := ForTest(t); got != "http://127.0.0.1:1" {
		t.Fatalf("ForTest = %q", got)
	}
}

func TestClientRejectsEmptyEndpoint(t *testing.T) {
	if _, err := Client(context.Background(), ""); err == nil {
		t.Fatal("Client accepted an empty endpoint")
	}
}
