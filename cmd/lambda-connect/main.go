// Command lambda-connect is Lambda Connect's command-line tool. Each command has its own flags
// and --help:
//
//	lambda-connect dev [--once] [flags]   the local sandbox: embedded Kafka + S3 + DynamoDB Local, S3 source -> both sinks
//	lambda-connect run s3-sink [flags]    runs a sink locally against real endpoints, with a consumer group
//	lambda-connect run s3-source s3://... runs the S3 source locally on objects, or on an SQS queue (--queue-url)
//	lambda-connect validate [flags]       checks a connector configuration, printing every problem
//	lambda-connect offsets list|reset     lists or resets a connector's committed offsets
//	lambda-connect import FILE [--out D]  turns a Kafka Connect connector configuration into Lambda Connect's
//	lambda-connect events KIND [flags]    prints a sample trigger event (kafka-msk, kafka-self-managed)
//	lambda-connect backfill s3://B/P      sends existing objects through the S3 source (--sweep: those not complete)
//	lambda-connect dlq replay [flags]     re-sends dead-lettered records to their sink, exactly once
//	lambda-connect help [command]         the commands, or one command's flags
//
// Exit status: 0 on success, 1 when a command fails, 2 on a usage error (unknown command or flag).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/lambda-connect/lambda-connect/core/config"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const prog = "lambda-connect"

// command is one subcommand. run gets the arguments after the command's name and returns the
// exit status; it writes data to env.stdout and messages to env.stderr.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// env is what a command may use of the process: its output streams and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// environ lists the environment as KEY=value (os.Environ); nil is an empty environment.
	environ func() []string
}

// commands lists the commands in the order help shows them. Add a command here.
func commands() []command {
	return []command{
		{name: "dev", summary: "run the local sandbox: embedded Kafka, S3 and DynamoDB Local, the S3 source and both sinks", run: runDev},
		{name: "run", summary: "run a connector locally against real endpoints: a sink from a consumer group, the S3 source on s3:// objects or an SQS queue", run: runRun},
		{name: "validate", summary: "check a connector configuration (CONNECT_* variables or a file) and print every problem", run: runValidate},
		{name: "offsets", summary: "list a connector's committed offsets and lag, or reset them (list, reset)", run: runOffsets},
		{name: "import", summary: "turn a Kafka Connect connector configuration into Lambda Connect settings and SAM parameters", run: runImport},
		{name: "events", summary: "print a sample trigger event (kafka-msk, kafka-self-managed), as sam local generate-event", run: runEvents},
		{name: "backfill", summary: "send the objects under s3://bucket/prefix through the S3 source, once each (--sweep: those not complete)", run: runBackfill},
		{name: "dlq", summary: "re-send dead-lettered records to their sink after a fix, exactly once (dlq replay)", run: runDLQ},
		{name: "help", summary: "list the commands, or show one command's flags (help COMMAND)", run: runHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args (without the program name) to a command.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		fmt.Fprintf(e.stderr, "\n%s: no command given: try '%s dev --once'\n", prog, prog)
		return exitUsage
	}
	switch name := args[0]; name {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	default:
		if c, ok := lookup(name); ok {
			return c.run(ctx, e, args[1:])
		}
		msg := fmt.Sprintf("%s: unknown command %q", prog, name)
		if strings.HasPrefix(name, "-") {
			msg = fmt.Sprintf("%s: flags go after the command: %s COMMAND [flags]", prog, prog)
		} else if s := suggest(name); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		fmt.Fprintf(e.stderr, "%s\nRun '%s help' for the list of commands.\n", msg, prog)
		return exitUsage
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage lists the commands.
func usage(w io.Writer) {
	fmt.Fprintf(w, "%s: Kafka Connect as serverless Go functions.\n\nUsage:\n  %s COMMAND [flags]\n\nCommands:\n", prog, prog)
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags. Start with '%s dev --once'.\n", prog, prog)
}

func runHelp(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet("help", "[COMMAND]", "Lists the commands, or shows the flags of one command.", e)
	if code, done := parse(fs, args, e); done {
		return code
	}
	switch fs.NArg() {
	case 0:
		usage(e.stdout)
		return exitOK
	case 1:
		name := fs.Arg(0)
		if name == "help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return exitOK
		}
		c, ok := lookup(name)
		if !ok {
			fmt.Fprintf(e.stderr, "%s help: unknown command %q\nRun '%s help' for the list of commands.\n", prog, name, prog)
			return exitUsage
		}
		return c.run(ctx, e, []string{"--help"})
	default:
		fmt.Fprintf(e.stderr, "%s help: one command at most, got %q\n", prog, fs.Args())
		return exitUsage
	}
}

// newFlagSet returns a command's FlagSet whose usage names the command and describes it.
func newFlagSet(name, argsSyntax, description string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(prog+" "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s %s [flags] %s\n\n%s\n\nFlags:\n", prog, name, argsSyntax, description)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs. done reports that the command must return code now: after --help
// (usage on stdout, status 0) or a bad flag (the flag package's message and the usage on stderr,
// status 2).
func parse(fs *flag.FlagSet, args []string, e *env) (code int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitOK, true
	case err != nil:
		fs.SetOutput(e.stderr)
		fmt.Fprintf(e.stderr, "%s: %v\n", fs.Name(), err)
		fmt.Fprintf(e.stderr, "Run '%s --help' for the flags.\n", fs.Name())
		return exitUsage, true
	}
	fs.SetOutput(e.stderr)
	return exitOK, false
}

// suggest returns the command closest to name when name looks like a typo of it or a prefix of
// it, else "".
func suggest(name string) string {
	best, bestD := "", -1
	for _, c := range commands() {
		d := config.EditDistance(name, c.name)
		if name != "" && strings.HasPrefix(c.name, name) {
			d = 0
		}
		if d > max(2, len(c.name)/2) {
			continue
		}
		if bestD < 0 || d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}
