package config

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Markdown returns the spec's settings as a Markdown table (setting, type, default, valid values,
// SAM parameter, description), one row per key in the spec's order, ending in a newline.
func (s *Spec) Markdown() string {
	var b strings.Builder
	b.WriteString("| Setting | Type | Default | Valid values | SAM parameter | Description |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for i := range s.Keys {
		k := &s.Keys[i]
		def := ""
		switch {
		case k.Required:
			def = "*required*"
		case k.Default != "":
			def = code(k.Default)
		}
		var valid []string
		for _, e := range k.Enum {
			v := code(e)
			var al []string
			for _, a := range k.aliasNames() {
				if k.Aliases[a] == e {
					al = append(al, code(a))
				}
			}
			if len(al) > 0 {
				v += " (or " + strings.Join(al, ", ") + ")"
			}
			valid = append(valid, v)
		}
		if k.Type == Boolean && len(valid) == 0 {
			valid = []string{code("true"), code("false")}
		}
		param := ""
		if k.Parameter != "" {
			param = code(k.Parameter)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			code(k.Name), k.Type, def, cell(strings.Join(valid, ", ")), param, cell(k.Doc))
	}
	return b.String()
}

// code returns s as a Markdown code span, with a fence longer than any run of backticks in it.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return cell(fence + pad + s + pad + fence)
}

// cell makes text safe in a table cell: pipes escaped, line breaks turned into spaces.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r\n", " ")), " ")
}

// SAMParameter is a SAM (CloudFormation) template parameter that sets one key.
type SAMParameter struct {
	Name string // the parameter's logical name (Key.Parameter)
	Key  string // the setting it sets
	// Type is "Number" for int, long and double keys that always have a value, else "String".
	Type string
	// Default is the key's default ("" for none); Required keys have none, so the template
	// must omit Default and the parameter becomes mandatory.
	Default  string
	Required bool
	// Description is the key's documentation, cut to CloudFormation's 4000 characters.
	Description string
	// AllowedValues are Enum's values and aliases (true and false for booleans), with "" first
	// when the key is optional without a default; nil when any value goes.
	AllowedValues []string
	// EnvVar is the variable the template sets from the parameter (CONNECT_S3_BUCKET_NAME).
	EnvVar string
	// NoEcho is set for passwords.
	NoEcho bool
}

// SAMParameters returns the template parameters of the keys that have one, in the spec's order.
func (s *Spec) SAMParameters() []SAMParameter {
	var ps []SAMParameter
	for i := range s.Keys {
		k := &s.Keys[i]
		if k.Parameter == "" {
			continue
		}
		p := SAMParameter{
			Name: k.Parameter, Key: k.Name, Type: "String", Required: k.Required,
			Description: k.Doc, EnvVar: EnvName(k.Name), NoEcho: k.Type == Password,
		}
		if !k.Required {
			p.Default = k.Default
		}
		if (k.Type == Int || k.Type == Long || k.Type == Double) && (k.Required || k.Default != "") {
			p.Type = "Number"
		}
		if len(p.Description) > 4000 {
			p.Description = p.Description[:3997] + "..."
		}
		allowed := slices.Clone(k.Enum)
		if k.Type == Class {
			allowed = append(allowed, k.aliasNames()...)
		}
		if k.Type == Boolean && len(allowed) == 0 {
			allowed = []string{"true", "false"}
		}
		if len(allowed) > 0 && !k.Required && k.Default == "" {
			allowed = append([]string{""}, allowed...)
		}
		if len(allowed) > 0 {
			p.AllowedValues = allowed
		}
		ps = append(ps, p)
	}
	return ps
}

// RenderBetween replaces the lines between the marker lines of doc, the line containing begin
// and the first line after it containing end, by content (given a final newline if it lacks
// one); the marker lines stay. It is how generated sections of README.md and template.yaml are
// kept fresh. It fails when begin is on no line or on several, or when no end line follows it.
func RenderBetween(doc []byte, begin, end string, content string) ([]byte, error) {
	if begin == "" || end == "" {
		return nil, errors.New("render: empty marker")
	}
	var lines [][]byte
	for rest := doc; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			lines = append(lines, rest)
			break
		}
		lines = append(lines, rest[:i+1])
		rest = rest[i+1:]
	}
	bi, ei := -1, -1
	for i, l := range lines {
		if bytes.Contains(l, []byte(begin)) {
			if bi >= 0 {
				return nil, fmt.Errorf("render: marker %q is on lines %d and %d", begin, bi+1, i+1)
			}
			bi = i
		} else if bi >= 0 && ei < 0 && bytes.Contains(l, []byte(end)) {
			ei = i
		}
	}
	if bi < 0 {
		return nil, fmt.Errorf("render: marker %q not found", begin)
	}
	if ei < 0 {
		return nil, fmt.Errorf("render: marker %q not found after %q (line %d)", end, begin, bi+1)
	}
	var out bytes.Buffer
	for _, l := range lines[:bi+1] {
		out.Write(l)
	}
	if !bytes.HasSuffix(lines[bi], []byte("\n")) {
		out.WriteByte('\n')
	}
	out.WriteString(content)
	if content != "" && !strings.HasSuffix(content, "\n") {
		out.WriteByte('\n')
	}
	for _, l := range lines[ei:] {
		out.Write(l)
	}
	return out.Bytes(), nil
}

// Check reports mistakes in the spec itself, for a connector's tests: empty or duplicate names,
// names no environment variable can set, defaults that do not parse or validate, required keys
// with a default, aliases to values outside Enum, duplicate or non-alphanumeric SAM parameter
// names, and ignored keys that are also keys. The error wraps Problems.
func (s *Spec) Check() error {
	var probs Problems
	add := func(key, format string, args ...any) {
		probs = append(probs, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	names := map[string]bool{}
	params := map[string]string{}
	for i := range s.Keys {
		k := &s.Keys[i]
		if names[k.Name] {
			add(k.Name, "is in the spec twice")
		}
		names[k.Name] = true
		if err := envRepresentable(k.Name); err != nil {
			add(k.Name, "%v", err)
		}
		if k.Type < String || k.Type > Class {
			add(k.Name, "has an unknown type %d", k.Type)
			continue
		}
		if k.Required && k.Default != "" {
			add(k.Name, "is required but has a default")
		}
		if k.Default != "" {
			if _, _, msg := k.parse(k.Default); msg != "" {
				add(k.Name, "default: %s", msg)
			}
		}
		for a, canon := range k.Aliases {
			if !slices.Contains(k.Enum, canon) {
				add(k.Name, "alias %q maps to %q, which is not in Enum", a, canon)
			}
		}
		if len(k.Aliases) > 0 && k.Type != Class {
			add(k.Name, "has aliases but is a %s, not a class", k.Type)
		}
		if k.Parameter != "" {
			if other, dup := params[k.Parameter]; dup {
				add(k.Name, "SAM parameter %s also sets %s", k.Parameter, other)
			}
			params[k.Parameter] = k.Name
			if !alphanumeric(k.Parameter) {
				add(k.Name, "SAM parameter %q must be 1 to 255 letters and digits", k.Parameter)
			}
		}
	}
	for _, n := range s.Ignored {
		if names[n] {
			add(n, "is both a key and ignored")
		}
	}
	if len(probs) > 0 {
		return s.wrap(probs)
	}
	return nil
}

func alphanumeric(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
