package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// Values of --output.
const (
	outputText = "text"
	outputJSON = "json"
)

// checkOutput checks an --output value.
func checkOutput(o string) error {
	if o != outputText && o != outputJSON {
		return fmt.Errorf("--output %q: want text or json", o)
	}
	return nil
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one JSON object on one line (one event of a stream).
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// textReport is a command's summary that has a text form besides its JSON one.
type textReport interface {
	text() string
}

// printReport writes a command's summary to stdout: with --output json as one JSON document,
// else as its text. It returns the JSON encoding's error; a failed write of the text is not
// reported.
func printReport(e *env, output string, rep textReport) error {
	if output == outputJSON {
		return writeJSON(e.stdout, rep)
	}
	io.WriteString(e.stdout, rep.text())
	return nil
}

// table writes aligned columns.
func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// usageErr reports a usage error of command name on stderr, with the way to its flags, and
// returns exitUsage.
func usageErr(e *env, name string, errs ...error) int {
	fmt.Fprintf(e.stderr, "%s %s: %v\nRun '%s %s --help' for the flags.\n", prog, name, errors.Join(errs...), prog, name)
	return exitUsage
}

// failed reports that command name failed on stderr, with what to do next, and returns exitFail.
func failed(e *env, name string, err error, next string) int {
	fmt.Fprintf(e.stderr, "%s %s: %v\n", prog, name, err)
	if next != "" {
		fmt.Fprintln(e.stderr, next)
	}
	return exitFail
}

// printProblems reports the settings problems err holds, if it holds any, on stderr: a line
// "prog name: the what configuration has N problems:", one line a problem, then fix. It says
// whether it did.
func printProblems(e *env, name, what string, err error, fix string) bool {
	var probs config.Problems
	if !errors.As(err, &probs) {
		return false
	}
	fmt.Fprintf(e.stderr, "%s %s: the %s configuration has %s:\n", prog, name, what, plural(len(probs), "problem", "problems"))
	for _, p := range probs {
		fmt.Fprintf(e.stderr, "  %s\n", p)
	}
	fmt.Fprintln(e.stderr, fix)
	return true
}

// openLog returns where a command's logs go: the file at path (--log), appended to, or def
// when path is empty, and the function that closes the file.
func openLog(path string, def io.Writer) (io.Writer, func(), error) {
	if path == "" {
		return def, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, errclass.New(errclass.BadConfig, "--log", err)
	}
	return f, func() { f.Close() }, nil
}

// environOf returns the process environment a command sees.
func environOf(e *env) []string {
	if e.environ == nil {
		return nil
	}
	return e.environ()
}
