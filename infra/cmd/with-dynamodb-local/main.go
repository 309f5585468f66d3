// Command with-dynamodb-local runs a command next to a DynamoDB Local it starts, fetching the
// emulator first if needed:
//
//	go run ./infra/cmd/with-dynamodb-local -- go test ./...
//
// The command's environment gets AWS_ENDPOINT_URL_DYNAMODB (so every test package's
// dynamolocal.ForTest shares the one emulator) and, only where they are unset, dummy AWS_REGION,
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. The emulator is stopped when the command ends, and
// the command's exit code becomes this one's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

func main() { os.Exit(run()) }

func run() int {
	fl := flag.NewFlagSet("with-dynamodb-local", flag.ContinueOnError)
	timeout := fl.Duration("start-timeout", 60*time.Second, "how long to wait for DynamoDB Local to answer")
	verbose := fl.Bool("v", false, "log the emulator's progress")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: with-dynamodb-local [flags] -- command [args...]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(os.Args[1:]); err != nil {
		return 2
	}
	args := fl.Args()
	if len(args) == 0 {
		fl.Usage()
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Signals go to the command; this process outlives it to stop the emulator.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-sigs:
			cancel() // an interrupt during the start aborts it
		case <-ctx.Done():
		}
	}()
	t0 := time.Now()
	inst, err := dynamolocal.Start(ctx, dynamolocal.Options{StartTimeout: *timeout, Logger: log})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "with-dynamodb-local:", err)
		return 1
	}
	defer inst.Close()
	log.Info("DynamoDB Local ready", "endpoint", inst.Endpoint(), "took", time.Since(t0).Round(time.Millisecond), "log", inst.LogPath())

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = childEnv(os.Environ(), inst.Endpoint())
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "with-dynamodb-local:", err)
		return 127
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	return exitCode(err)
}

// childEnv returns env with the emulator's endpoint and, where unset, dummy region and credentials.
func childEnv(env []string, endpoint string) []string {
	set := map[string]bool{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" {
			set[k] = true
		}
	}
	out := append([]string(nil), env...)
	out = append(out, dynamolocal.EnvEndpoint+"="+endpoint) // exec keeps the last of duplicates
	for _, kv := range [][2]string{
		{"AWS_REGION", dynamolocal.Region},
		{"AWS_ACCESS_KEY_ID", dynamolocal.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", dynamolocal.SecretAccessKey},
	} {
		if !set[kv[0]] {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	return out
}

// exitCode maps the command's end to an exit code: its own, or 128+signal when a signal killed it.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "with-dynamodb-local:", err)
		return 1
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ee.ExitCode(); c >= 0 {
		return c
	}
	return 1
}
