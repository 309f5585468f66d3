package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/kafkaevent"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// Template parameters that are not a setting's: the event-source mapping's, and
// value.converter.schemas.enable's (template.yaml declares them).
const (
	paramTopics        = "Topics"
	paramConsumerGroup = "ConsumerGroupId"
	paramBatchSize     = "BatchSize"
)

// templateParams maps, by connector, the settings that template.yaml sets by a parameter of its
// own (not a spec key's) to that parameter: the converter settings next to each function's
// generated parameters (registry credentials have none: they stay in the function's environment).
var templateParams = map[string]map[string]string{
	"s3-sink":       converterParams(""),
	"s3-source":     converterParams("Source"),
	"dynamodb-sink": converterParams("DynamoDb"),
}

// converterParams maps the converter settings template.yaml sets by parameters of their own to
// those of one function, whose parameter names start with prefix.
func converterParams(prefix string) map[string]string {
	return map[string]string{
		"value.converter.schemas.enable":      prefix + "ValueConverterSchemasEnable",
		"key.converter.schema.registry.url":   prefix + "KeyConverterSchemaRegistryUrl",
		"value.converter.schema.registry.url": prefix + "ValueConverterSchemaRegistryUrl",
	}
}

// registryURLs is the AllowedPattern of template.yaml's *ConverterSchemaRegistryUrl parameters:
// empty or a comma-separated list of http(s) URLs without user info (credentials).
var registryURLs = regexp.MustCompile(`^(https?://[^,@\s]+(,https?://[^,@\s]+)*)?$`)

// templateParam returns the parameter of template.yaml that sets key k of connector cn to v, if
// any: a spec key's, or one of templateParams. A registry URL the template's parameters refuse
// (one with credentials in it) has none: it stays in the function's environment.
func templateParam(cn *connector, k, v string) (string, bool) {
	if key := cn.spec().Key(k); key != nil && key.Parameter != "" {
		return key.Parameter, true
	}
	p, ok := templateParams[cn.name][k]
	if ok && strings.HasSuffix(k, ".schema.registry.url") && !registryURLs.MatchString(strings.TrimSpace(v)) {
		return "", false
	}
	return p, ok
}

const importDescription = `Turns a Kafka Connect connector configuration into Lambda Connect's: FILE is what users POST
to Kafka Connect's /connectors ({"name": ..., "config": {...}}), a bare JSON object of
settings, or a .properties file. connector.class picks the connector (io.confluent.connect.s3.
S3SinkConnector: s3-sink).

It writes, in --out:
  <name>.properties                  the settings, for CONNECTOR_CONFIG_FILE or 'validate --file'
  <name>.env                         the same as CONNECT_* variables (docker --env-file, env)
  <name>.sam-parameter-overrides     for sam deploy --parameter-overrides "$(cat FILE)"

and lists every setting that has no equivalent, with the reason; those marked ! change what
is written (an unsupported format or converter, transforms, ...). Settings Kafka Connect
defaults differently are written explicitly. The result is checked as 'validate' checks it.

Exit status: 0 when the files were written and the result is valid (with --strict: and no
setting marked !), 1 otherwise (the files are still written when the input could be read).`

// droppedSetting is a Kafka Connect setting import does not carry over.
type droppedSetting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
	// Attention marks a setting whose loss changes what is written or read.
	Attention bool `json:"attention"`
}

// addedSetting is a setting import writes that the input did not have.
type addedSetting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

type importReport struct {
	Source    string            `json:"source"`
	Class     string            `json:"connector_class"`
	Connector string            `json:"connector"`
	Name      string            `json:"name"`
	Settings  map[string]string `json:"settings"`
	Env       []string          `json:"env"`
	// SAMParameters are the template parameters the settings map to; Overrides is the
	// --parameter-overrides string.
	SAMParameters map[string]string `json:"sam_parameters"`
	Overrides     string            `json:"parameter_overrides"`
	// NoParameter are settings template.yaml has no parameter for: set them in its Environment.
	NoParameter []string         `json:"no_parameter,omitempty"`
	Added       []addedSetting   `json:"added,omitempty"`
	Dropped     []droppedSetting `json:"dropped"`
	Notes       []string         `json:"notes,omitempty"`
	Files       []string         `json:"files,omitempty"`
	Valid       bool             `json:"valid"`
	Problems    []problemJSON    `json:"problems,omitempty"`
}

// setFlags collects repeated --set key=value flags.
type setFlags [][2]string

func (s *setFlags) String() string { return fmt.Sprint(*s) }

func (s *setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return errors.New("want key=value")
	}
	*s = append(*s, [2]string{strings.TrimSpace(k), val})
	return nil
}

func runImport(ctx context.Context, e *env, args []string) int {
	var (
		out, output   string
		force, strict bool
		sets          setFlags
	)
	fs := newFlagSet("import", "FILE", importDescription, e)
	fs.StringVar(&out, "out", ".", "directory the files are written to (created if missing)")
	fs.Var(&sets, "set", "a Lambda Connect setting key=value to add or override (repeatable), e.g. errors.deadletterqueue.s3.bucket.name=my-dlq")
	fs.BoolVar(&force, "force", false, "overwrite files that exist")
	fs.BoolVar(&strict, "strict", false, "fail (exit 1) when a setting marked ! has no equivalent")
	fs.StringVar(&output, "output", outputText, "output: text or json")
	args, file := splitFileArg(args)
	if code, done := parse(fs, args, e); done {
		return code
	}
	var errs []error
	rest := fs.Args()
	if file == "" && len(rest) > 0 {
		file, rest = rest[0], rest[1:]
	}
	if file == "" {
		errs = append(errs, errors.New("no connector configuration given: import FILE (the JSON you POST to /connectors)"))
	}
	if len(rest) > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", rest))
	}
	if err := checkOutput(output); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return usageErr(e, "import", errs...)
	}

	props, err := config.ReadFile(file)
	if err != nil {
		return failed(e, "import", err, "Give the JSON you POST to Kafka Connect's /connectors ({\"name\": ..., \"config\": {...}}), or a .properties file.")
	}
	rep, cn, err := importSettings(props, sets)
	if err != nil {
		return failed(e, "import", err, "")
	}
	rep.Source = file

	base := fileBase(rep.Name)
	paths := []string{
		filepath.Join(out, base+".properties"),
		filepath.Join(out, base+".env"),
		filepath.Join(out, base+".sam-parameter-overrides"),
	}
	if !force {
		for _, p := range paths {
			if _, err := os.Stat(p); err == nil {
				return failed(e, "import", fmt.Errorf("%s exists", p), "Give another --out, or --force to overwrite it.")
			}
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return failed(e, "import", err, "")
	}
	contents := []string{
		propertiesText(rep.Settings, fmt.Sprintf("Lambda Connect %s configuration, imported from %s by '%s import'.\nUse: CONNECTOR_CONFIG_FILE=<this file>, or '%s validate --file <this file>'.", cn.name, filepath.Base(file), prog, prog)),
		strings.Join(rep.Env, "\n") + "\n",
		rep.Overrides + "\n",
	}
	for i, p := range paths {
		if err := os.WriteFile(p, []byte(contents[i]), 0o644); err != nil {
			return failed(e, "import", err, "")
		}
	}
	rep.Files = paths

	// The round trip: what was written must pass validate.
	res, err := checkConfig(cn, nil, paths[0])
	if err != nil {
		return failed(e, "import", err, "")
	}
	rep.Valid = len(res.problems) == 0
	for _, p := range res.problems {
		rep.Problems = append(rep.Problems, problemJSON{Key: p.Key, Message: p.Message})
	}
	attention := 0
	for _, d := range rep.Dropped {
		if d.Attention {
			attention++
		}
	}

	if output == outputJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return failed(e, "import", err, "")
		}
	} else {
		printImport(e, rep, cn, paths)
	}
	switch {
	case !rep.Valid:
		fmt.Fprintf(e.stderr, "%s import: the imported configuration is not valid yet: fix %s in %s (or import again with --set key=value), then run '%s validate --file %s'.\n",
			prog, strings.Join(config.Problems(res.problems).Keys(), ", "), paths[0], prog, paths[0])
		return exitFail
	case strict && attention > 0:
		fmt.Fprintf(e.stderr, "%s import: --strict: %s marked ! %s no equivalent; review them before deploying.\n",
			prog, plural(attention, "setting", "settings"), map[bool]string{true: "has", false: "have"}[attention == 1])
		return exitFail
	}
	return exitOK
}

// splitFileArg lets FILE come before the flags: it returns the arguments without a leading
// non-flag argument, and that argument.
func splitFileArg(args []string) ([]string, string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[1:], args[0]
	}
	return args, ""
}

// importSettings maps a Kafka Connect connector configuration to a connector's settings.
func importSettings(in map[string]string, sets setFlags) (*importReport, *connector, error) {
	class := strings.TrimSpace(in["connector.class"])
	if class == "" {
		return nil, nil, fmt.Errorf("no connector.class: cannot tell which connector this is (known: %s)", knownClasses())
	}
	cn, ok := connectorForClass(class)
	if !ok {
		return nil, nil, fmt.Errorf("connector.class %s has no Lambda Connect equivalent yet (known: %s)", class, knownClasses())
	}
	spec := cn.spec()
	rep := &importReport{Class: class, Connector: cn.name, Settings: map[string]string{}, SAMParameters: map[string]string{}}
	name := in[sink.KeyConnectorName]
	if name == "" {
		name = in["name"]
	}
	rep.Name = name
	drop := func(k, reason string, attention bool) {
		rep.Dropped = append(rep.Dropped, droppedSetting{Key: k, Value: in[k], Reason: reason, Attention: attention})
	}
	// Converters this connector cannot use: their settings go with them.
	badConverter := map[string]string{}
	for _, k := range []string{sink.KeyKeyConverter, sink.KeyValueConverter} {
		if v, ok := in[k]; ok {
			if _, err := converters.New(v, k == sink.KeyKeyConverter, nil); err != nil && strings.Contains(err.Error(), "converter class") {
				badConverter[k] = v
			}
		}
	}
	for _, k := range sortedKeys(in) {
		v := in[k]
		switch {
		case k == "connector.class":
			continue
		case k == "name" || k == sink.KeyConnectorName:
			if name != "" {
				rep.Settings[sink.KeyConnectorName] = name
			}
			continue
		case k == "topics":
			topics := splitTopics(v)
			if len(topics) == 1 {
				rep.SAMParameters[paramTopics] = topics[0]
			} else {
				drop(k, fmt.Sprintf("template.yaml's event-source mapping reads one topic: deploy one stack per topic (Topics=%s), each with its own ConsumerGroupId", strings.Join(topics, ", Topics=")), true)
			}
			continue
		case k == "consumer.override.max.poll.records":
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				rep.SAMParameters[paramBatchSize] = strconv.Itoa(min(n, kafkaevent.MaxMaxRecords))
				continue
			}
		}
		if conv, ok := underConverter(k, badConverter); ok {
			if k == conv {
				drop(k, fmt.Sprintf("converter %s is not supported (only %s): the default, %s, applies, and records it cannot read are bad records", v, supportedConverters(), spec.Key(k).Default), true)
			} else {
				drop(k, "a setting of the unsupported "+conv, false)
			}
			continue
		}
		if r, ok := cn.noEquivalent[k]; ok {
			drop(k, r, attentionKeys[k] || (strings.HasPrefix(k, "store.kafka.") && strings.TrimSpace(v) == "true"))
			continue
		}
		if r, ok := connectNoEquivalent[k]; ok {
			drop(k, r, attentionKeys[k])
			continue
		}
		if r, ok := prefixReason(k); ok {
			drop(k, r, strings.HasPrefix(k, "transforms") || strings.HasPrefix(k, "predicates"))
			continue
		}
		if spec.Key(k) != nil || underPrefix(spec, k) || slices.Contains(spec.Ignored, k) {
			if !slices.Contains(spec.Ignored, k) {
				rep.Settings[k] = v
			}
			continue
		}
		drop(k, "not a setting of Lambda Connect's "+cn.name, false)
	}
	for _, k := range sortedKeys(cn.defaults) {
		if _, set := in[k]; !set {
			rep.Settings[k] = cn.defaults[k][0]
			rep.Added = append(rep.Added, addedSetting{Key: k, Value: cn.defaults[k][0], Reason: cn.defaults[k][1]})
		}
	}
	for _, kv := range sets {
		rep.Settings[kv[0]] = kv[1]
		rep.Added = append(rep.Added, addedSetting{Key: kv[0], Value: kv[1], Reason: "--set"})
	}
	// Values this connector does not accept (an unknown format.class, ...) are dropped: the default applies.
	for range len(rep.Settings) {
		_, err := spec.Parse(rep.Settings)
		var probs config.Problems
		if err == nil || !errors.As(err, &probs) {
			break
		}
		removed := false
		for _, p := range probs {
			v, ok := rep.Settings[p.Key]
			if !ok || p.Unknown {
				continue
			}
			reason := p.Message
			if k := spec.Key(p.Key); k != nil && k.Default != "" {
				reason += "; the default, " + k.Default + ", applies"
			}
			delete(rep.Settings, p.Key)
			rep.Dropped = append(rep.Dropped, droppedSetting{Key: p.Key, Value: v, Reason: reason, Attention: true})
			removed = true
		}
		if !removed {
			break
		}
	}
	slices.SortFunc(rep.Dropped, func(a, b droppedSetting) int { return strings.Compare(a.Key, b.Key) })

	for _, k := range sortedKeys(rep.Settings) {
		rep.Env = append(rep.Env, config.EnvName(k)+"="+rep.Settings[k])
		if p, ok := templateParam(cn, k, rep.Settings[k]); ok {
			rep.SAMParameters[p] = strings.TrimSpace(rep.Settings[k])
		} else if k != sink.KeyOffsetsTable {
			rep.NoParameter = append(rep.NoParameter, config.EnvName(k)+": "+rep.Settings[k])
		}
	}
	if group := "connect-" + name; name != "" && groupIDPattern.MatchString(group) {
		// Kafka Connect's sink tasks consume as the group connect-<name>: joining it, the
		// mapping starts where Connect stopped.
		rep.SAMParameters[paramConsumerGroup] = group
		rep.Notes = append(rep.Notes, fmt.Sprintf("ConsumerGroupId=connect-%s is the consumer group Kafka Connect's sink used (unless consumer.override.group.id changed it): a mapping that joins an existing group starts from its committed offsets (Lambda then ignores StartingPosition), so nothing is skipped or written twice. Stop the Kafka Connect connector first: a group shared with running Connect tasks splits the partitions between them. Lambda requires a group id unique among its mappings. An object Kafka Connect wrote after its last offset commit has the name of the first object written here for that partition, and conditional writes refuse to replace it: delete such objects first", name))
	}
	var unsetConv []string
	for _, k := range []string{sink.KeyKeyConverter, sink.KeyValueConverter} {
		if _, set := in[k]; !set {
			unsetConv = append(unsetConv, fmt.Sprintf("%s (default here: %s)", k, spec.Key(k).Default))
		}
	}
	if len(unsetConv) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("not set in the connector, so Kafka Connect used its worker's: %s. If the worker's converters differ, add them with --set (JsonConverter values also read value.converter.schemas.enable, true by default)", strings.Join(unsetConv, ", ")))
	}
	rep.Overrides = overridesText(rep.SAMParameters)
	if rep.Env == nil {
		rep.Env = []string{}
	}
	if rep.Dropped == nil {
		rep.Dropped = []droppedSetting{}
	}
	return rep, cn, nil
}

// groupIDPattern is template.yaml's AllowedPattern for ConsumerGroupId (non-empty).
var groupIDPattern = regexp.MustCompile(`^[a-zA-Z0-9._:-]{1,200}$`)

// attentionKeys are settings whose loss changes what is written or read.
var attentionKeys = map[string]bool{
	"topics.regex":                      true,
	"errors.deadletterqueue.topic.name": true,
	"s3.sse.kms.key.id":                 true,
	"s3.sse.customer.key":               true,
	"s3.ssea.name":                      true,
	"s3.acl.canned":                     true,
	"keys.format.class":                 true,
	"headers.format.class":              true,
}

// supportedConverters lists the short names of the converters converters.New builds.
func supportedConverters() string {
	classes, _ := converters.Classes()
	short := make([]string, len(classes))
	for i, c := range classes {
		short[i] = c[strings.LastIndexByte(c, '.')+1:]
	}
	return strings.Join(short, ", ")
}

// underConverter reports whether k is an unsupported converter or one of its settings, and
// which converter.
func underConverter(k string, bad map[string]string) (string, bool) {
	for conv := range bad {
		if k == conv || strings.HasPrefix(k, conv+".") {
			return conv, true
		}
	}
	return "", false
}

func underPrefix(spec *config.Spec, k string) bool {
	for _, p := range spec.Prefixes {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			return true
		}
	}
	return false
}

func prefixReason(k string) (string, bool) {
	for _, p := range noEquivalentPrefixes {
		if strings.HasPrefix(k, p[0]) {
			return p[1], true
		}
	}
	return "", false
}

func knownClasses() string {
	var out []string
	for _, c := range connectorList() {
		for _, k := range c.classes {
			out = append(out, k+" -> "+c.name)
		}
	}
	return strings.Join(out, ", ")
}

func splitTopics(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// fileBase makes a connector name safe as a file name.
func fileBase(name string) string {
	if name == "" {
		return "connector"
	}
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if s == "" {
		return "connector"
	}
	return s
}

// overridesText formats template parameters for sam deploy --parameter-overrides (and
// samconfig.toml's parameter_overrides): Name="value" pairs separated by spaces, sorted.
func overridesText(params map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(params) {
		v := strings.ReplaceAll(params[k], `\`, `\\`)
		v = strings.ReplaceAll(v, `"`, `\"`)
		parts = append(parts, k+`="`+v+`"`)
	}
	return strings.Join(parts, " ")
}

// propertiesText writes settings as a .properties file that Java's Properties.load (and
// config.ParseProperties) reads back to the same map: keys sorted, special characters escaped,
// non-ASCII characters as \uXXXX. header becomes comment lines.
func propertiesText(settings map[string]string, header string) string {
	var b strings.Builder
	for _, line := range strings.Split(header, "\n") {
		b.WriteString("# " + line + "\n")
	}
	for _, k := range sortedKeys(settings) {
		b.WriteString(escapeProperty(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(settings[k], false))
		b.WriteByte('\n')
	}
	return b.String()
}

// escapeProperty escapes s as Properties.store does: a key's spaces, a value's leading space,
// '\\', '=', ':', '#', '!', control characters and everything beyond ASCII.
func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ' ':
			if key || i == 0 {
				b.WriteString(`\ `)
			} else {
				b.WriteByte(' ')
			}
		case r == '\\' || r == '=' || r == ':' || r == '#' || r == '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04X\u%04X`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// printImport prints what import did as text.
func printImport(e *env, rep *importReport, cn *connector, paths []string) {
	w := e.stdout
	fmt.Fprintf(w, "Imported %q (%s) from %s as Lambda Connect's %s.\n\nWrote:\n", rep.Name, rep.Class, rep.Source, cn.name)
	_ = table(w, "  FILE\tWHAT", [][]string{
		{"  " + paths[0], fmt.Sprintf("%s: CONNECTOR_CONFIG_FILE=%s, or '%s validate --file %s'", plural(len(rep.Settings), "setting", "settings"), paths[0], prog, paths[0])},
		{"  " + paths[1], "the same as CONNECT_* variables"},
		{"  " + paths[2], fmt.Sprintf("sam deploy --parameter-overrides \"$(cat %s)\"", paths[2])},
	})
	fmt.Fprintln(w, "\nSettings:")
	var rows [][]string
	for _, k := range sortedKeys(rep.Settings) {
		param := "-"
		if p, ok := templateParam(cn, k, rep.Settings[k]); ok {
			param = p
		}
		rows = append(rows, []string{"  " + k, rep.Settings[k], param})
	}
	_ = table(w, "  SETTING\tVALUE\tSAM PARAMETER", rows)
	for _, k := range []string{paramTopics, paramConsumerGroup, paramBatchSize} {
		if v, ok := rep.SAMParameters[k]; ok {
			fmt.Fprintf(w, "  (event-source mapping) %s=%s\n", k, v)
		}
	}
	if len(rep.Added) > 0 {
		fmt.Fprintln(w, "\nAdded:")
		for _, a := range rep.Added {
			fmt.Fprintf(w, "  %s=%s: %s\n", a.Key, a.Value, a.Reason)
		}
	}
	if len(rep.Dropped) > 0 {
		fmt.Fprintf(w, "\nNo equivalent, not carried over (! changes what is written or read):\n")
		rows = nil
		for _, d := range rep.Dropped {
			mark := " "
			if d.Attention {
				mark = "!"
			}
			rows = append(rows, []string{"  " + mark + " " + d.Key + "=" + d.Value, d.Reason})
		}
		_ = table(w, "    SETTING\tWHY", rows)
	}
	if len(rep.NoParameter) > 0 {
		fmt.Fprintf(w, "\ntemplate.yaml has no parameter for these: add them to the function's Environment.Variables:\n")
		for _, s := range rep.NoParameter {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "\nNote: %s.\n", n)
	}
	if rep.Valid {
		fmt.Fprintf(w, "\nThe imported configuration is valid ('%s validate --file %s' agrees). Next: '%s run %s --file %s ...' to try it locally, or sam deploy with the overrides above.\n",
			prog, paths[0], prog, cn.name, paths[0])
	} else {
		fmt.Fprintf(w, "\nThe imported configuration is not valid yet:\n")
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %s: %s\n", p.Key, p.Message)
		}
	}
}
