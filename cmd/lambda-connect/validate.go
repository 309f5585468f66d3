package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
)

const validateDescription = `Checks a connector's configuration as its function checks it at cold start, and further
(the converters' own settings, the dead-letter destination errors.tolerance=all needs), and
prints every problem at once, each with the setting concerned and where it came from. With
no problem it prints the effective settings, defaults included and passwords hidden.

Settings come from the CONNECT_* variables of the environment (CONNECT_S3_BUCKET_NAME is
s3.bucket.name) and from the file --file names, or else the one CONNECTOR_CONFIG_FILE names:
JSON ({"s3.bucket.name": ...}), Kafka Connect's REST shape ({"name": ..., "config": {...}})
or .properties. The environment wins, as in the function.

Exit status: 0 when the configuration is valid, 1 when it is not (or the file cannot be read).`

// validateReport is validate's --output json document.
type validateReport struct {
	Connector string            `json:"connector"`
	Valid     bool              `json:"valid"`
	Problems  []problemJSON     `json:"problems,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
	// Sources says where each setting came from: a CONNECT_* variable, a file, or "default".
	Sources map[string]string `json:"sources,omitempty"`
	Notes   []string          `json:"notes,omitempty"`
}

type problemJSON struct {
	Key     string `json:"key"`
	Message string `json:"message"`
	Source  string `json:"source,omitempty"`
}

func runValidate(ctx context.Context, e *env, args []string) int {
	var (
		name, file, output string
		ignoreEnv          bool
	)
	fs := newFlagSet("validate", "", validateDescription, e)
	fs.StringVar(&name, "connector", "s3-sink", "the connector: "+strings.Join(connectorNames(), ", "))
	fs.StringVar(&file, "file", "", "a settings file (JSON, Connect REST JSON or .properties); default: $"+config.FileEnv)
	fs.BoolVar(&ignoreEnv, "ignore-env", false, "ignore the CONNECT_* variables (and "+config.FileEnv+"): check the file alone")
	fs.StringVar(&output, "output", outputText, "output: text or json")
	if code, done := parse(fs, args, e); done {
		return code
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q (a file goes after --file)", fs.Args()))
	}
	cn, err := findConnector(name)
	if err != nil {
		errs = append(errs, fmt.Errorf("--connector: %v", err))
	}
	if err := checkOutput(output); err != nil {
		errs = append(errs, err)
	}
	environ := environOf(e)
	if ignoreEnv {
		environ = nil
		if file == "" {
			errs = append(errs, fmt.Errorf("--ignore-env needs --file"))
		}
	}
	if len(errs) > 0 {
		return usageErr(e, "validate", errs...)
	}

	res, err := checkConfig(cn, environ, file)
	if err != nil {
		return failed(e, "validate", err, "Check the file's path and syntax (JSON object, or key=value lines).")
	}
	rep := validateReport{Connector: cn.name, Valid: len(res.problems) == 0, Notes: res.notes}
	for _, p := range res.problems {
		rep.Problems = append(rep.Problems, problemJSON{Key: p.Key, Message: p.Message, Source: p.Source})
	}
	if res.config != nil {
		rep.Settings = res.config.Redacted()
		rep.Sources = map[string]string{}
		for k := range rep.Settings {
			src := res.settings.sources[k]
			if src == "" {
				src = "default"
			}
			rep.Sources[k] = src
		}
	}
	if output == outputJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return failed(e, "validate", err, "")
		}
		if !rep.Valid {
			return exitFail
		}
		return exitOK
	}
	if !rep.Valid {
		fmt.Fprintf(e.stderr, "%s configuration: %s\n", cn.name, plural(len(rep.Problems), "problem", "problems"))
		for _, p := range rep.Problems {
			line := "  " + p.Key + ": " + p.Message
			if p.Source != "" {
				line += " (from " + p.Source + ")"
			}
			fmt.Fprintln(e.stderr, line)
		}
		fmt.Fprintf(e.stderr, "Fix them and run '%s validate' again; '%s validate --help' says where settings come from, and the README's Configuration section lists every setting.\n", prog, prog)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "%s configuration is valid. Effective settings:\n\n", cn.name)
	var rows [][]string
	for _, k := range sortedKeys(rep.Settings) {
		rows = append(rows, []string{"  " + k, rep.Settings[k], rep.Sources[k]})
	}
	if err := table(e.stdout, "  SETTING\tVALUE\tFROM", rows); err != nil {
		return failed(e, "validate", err, "")
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(e.stdout, "\nNote: %s.\n", n)
	}
	return exitOK
}
