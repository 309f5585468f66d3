package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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

// environOf returns the process environment a command sees.
func environOf(e *env) []string {
	if e.environ == nil {
		return nil
	}
	return e.environ()
}
