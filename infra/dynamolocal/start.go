package dynamolocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Options configure Start. The zero value fetches the default emulator and starts it.
type Options struct {
	// Dir is an unpacked emulator (holding DynamoDBLocal.jar); "" fetches one with Fetch.
	Dir string
	// Fetch configures the fetch when Dir is "".
	Fetch FetchConfig
	// Java is the java command; "" means $JAVA_HOME/bin/java when JAVA_HOME is set, else "java".
	Java string
	// StartTimeout bounds the wait for the emulator to answer (default 60 s).
	StartTimeout time.Duration
	// LogPath receives the emulator's stdout and stderr; "" creates a temporary file, removed by
	// Close unless the emulator died by itself.
	LogPath string
	// Logger receives progress messages (default: discarded).
	Logger *slog.Logger
}

func (o *Options) validate() error {
	if o.Java == "" {
		o.Java = "java"
		if home := os.Getenv("JAVA_HOME"); home != "" {
			o.Java = home + string(os.PathSeparator) + "bin" + string(os.PathSeparator) + "java"
		}
	}
	if o.StartTimeout < 0 {
		return fmt.Errorf("dynamolocal: StartTimeout %v is negative", o.StartTimeout)
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Instance is a running emulator.
type Instance struct {
	endpoint string
	logPath  string
	tempLog  bool
	pid      int
	done     chan struct{} // closed when the process has exited
	waitErr  error         // set before done is closed

	closeOnce sync.Once
	closeErr  error
}

// Endpoint returns the emulator's URL, http://127.0.0.1:<port>.
func (i *Instance) Endpoint() string { return i.endpoint }

// LogPath returns the file holding the emulator's output.
func (i *Instance) LogPath() string { return i.logPath }

// Close kills the emulator's process group and waits for it to exit. The emulator runs in memory:
// its tables are gone.
func (i *Instance) Close() error {
	i.closeOnce.Do(func() {
		select {
		case <-i.done:
			i.closeErr = fmt.Errorf("dynamolocal: emulator at %s had already exited (%v); its output is in %s", i.endpoint, i.waitErr, i.logPath)
			return
		default:
		}
		if err := killGroup(i.pid); err != nil {
			i.closeErr = fmt.Errorf("dynamolocal: stopping the emulator (pid %d): %w", i.pid, err)
		}
		select {
		case <-i.done:
		case <-time.After(10 * time.Second):
			i.closeErr = fmt.Errorf("dynamolocal: emulator (pid %d) did not exit 10 s after SIGKILL; its output is in %s", i.pid, i.logPath)
			return
		}
		if i.tempLog {
			os.Remove(i.logPath)
		}
	})
	return i.closeErr
}

// Start starts an emulator on a free port of 127.0.0.1 and waits until it answers ListTables. ctx
// bounds the fetch and the start only: the emulator runs until Close, or until this process dies
// (on Linux the kernel kills it then). A start that fails (for instance because another process took
// the port meanwhile) is retried twice on a new port.
func Start(ctx context.Context, opts Options) (*Instance, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	java, err := exec.LookPath(opts.Java)
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: java (Java 17 or later runs DynamoDB Local): %w", err)
	}
	dir := opts.Dir
	if dir == "" {
		t0 := time.Now()
		if dir, err = opts.Fetch.Fetch(ctx); err != nil {
			return nil, err
		}
		opts.Logger.Debug("dynamolocal: emulator ready in the cache", "dir", dir, "took", time.Since(t0))
	} else if !complete(dir) {
		return nil, fmt.Errorf("dynamolocal: %s holds no %s", dir, Jar)
	}

	logPath, tempLog := opts.LogPath, false
	var logFile *os.File
	if logPath == "" {
		logFile, err = os.CreateTemp("", "dynamodb-local-*.log")
		tempLog = true
	} else {
		logFile, err = os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: emulator log: %w", err)
	}
	logPath = logFile.Name()
	defer logFile.Close() // the child has its own descriptor

	var errs []error
	for attempt := 1; attempt <= 3; attempt++ {
		inst, err := startOnce(ctx, opts, java, dir, logFile)
		if err == nil {
			inst.logPath, inst.tempLog = logPath, tempLog
			return inst, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, errExited) || ctx.Err() != nil {
			break
		}
		opts.Logger.Warn("dynamolocal: emulator exited during start; retrying on another port", "attempt", attempt, "err", err)
	}
	return nil, fmt.Errorf("dynamolocal: starting DynamoDB Local from %s: %w (its output is in %s)%s", dir, errors.Join(errs...), logPath, tail(logPath))
}

var errExited = errors.New("the emulator exited")

func startOnce(ctx context.Context, opts Options, java, dir string, logFile *os.File) (*Instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(java, "-Djava.library.path=DynamoDBLocal_lib", "-jar", Jar,
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	inst := &Instance{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		done:     make(chan struct{}),
	}

	started := make(chan error, 1)
	go func() {
		// The kernel's parent-death signal (Linux) follows the thread that started the child:
		// keep this thread alive, and the goroutine on it, for as long as the child runs.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		inst.waitErr = cmd.Wait()
		close(inst.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("running %s: %w", java, err)
	}
	inst.pid = cmd.Process.Pid
	opts.Logger.Debug("dynamolocal: emulator started", "pid", inst.pid, "endpoint", inst.endpoint)

	if err := waitReady(ctx, inst, opts.StartTimeout); err != nil {
		inst.Close()
		return nil, err
	}
	return inst, nil
}

// waitReady polls ListTables until the emulator answers, exits, or timeout passes.
func waitReady(ctx context.Context, inst *Instance, timeout time.Duration) error {
	client, err := Client(ctx, inst.endpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(actx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}, func(o *dynamodb.Options) {
			o.RetryMaxAttempts = 1
		})
		acancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-inst.done:
			return fmt.Errorf("%w before it answered on %s: %v", errExited, inst.endpoint, inst.waitErr)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the emulator did not answer on %s within %v (last error: %v)", inst.endpoint, timeout, last)
			}
			return fmt.Errorf("waiting for the emulator on %s: %w", inst.endpoint, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of the log at path, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\n" + strings.TrimSpace(string(b))
}
