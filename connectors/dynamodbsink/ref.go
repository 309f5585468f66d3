package dynamodbsink

import (
	"fmt"
	"strings"
)

// refKind is what a record reference points at.
type refKind int

const (
	refPartition refKind = iota
	refOffset
	refKey
	refValue
)

// ref is a parsed record reference of aws.dynamodb.pk.hash or aws.dynamodb.pk.sort:
// partition, offset, key[.path], value[.path], with an optional :alias.
type ref struct {
	kind refKind
	path []string // fields under the key or the value
	attr string   // the attribute it names: the alias, else the reference's last part
	text string   // as configured
}

const refHelp = "partition, offset, key, key.<dotted.path>, value or value.<dotted.path>, with an optional :alias"

// maxAttrName is the longest attribute name DynamoDB accepts for a key attribute, in bytes.
const maxAttrName = 255

// parseRef parses a record reference as Confluent's DynamoDB sink takes it.
func parseRef(s string) (ref, error) {
	r := ref{text: s}
	body, alias, hasAlias := strings.Cut(strings.TrimSpace(s), ":")
	body = strings.TrimSpace(body)
	if hasAlias {
		alias = strings.TrimSpace(alias)
		if alias == "" {
			return ref{}, fmt.Errorf("%q has an empty alias after ':' (expected %s)", s, refHelp)
		}
	}
	head, rest, hasPath := strings.Cut(body, ".")
	switch head {
	case "partition", "offset":
		if hasPath {
			return ref{}, fmt.Errorf("%q: %s has no fields (expected %s)", s, head, refHelp)
		}
		r.kind = refPartition
		if head == "offset" {
			r.kind = refOffset
		}
	case "key", "value":
		r.kind = refKey
		if head == "value" {
			r.kind = refValue
		}
		if hasPath {
			p, err := splitPath(rest)
			if err != nil {
				return ref{}, fmt.Errorf("%q: %v (expected %s)", s, err, refHelp)
			}
			r.path = p
		}
	default:
		return ref{}, fmt.Errorf("%q is not a record reference (expected %s)", s, refHelp)
	}
	r.attr = head
	if len(r.path) > 0 {
		r.attr = r.path[len(r.path)-1]
	}
	if hasAlias {
		r.attr = alias
	}
	if len(r.attr) > maxAttrName {
		return ref{}, fmt.Errorf("%q: the attribute name is longer than %d bytes", s, maxAttrName)
	}
	return r, nil
}

// splitPath splits a dotted path into its fields, none empty.
func splitPath(s string) ([]string, error) {
	p := strings.Split(s, ".")
	for _, f := range p {
		if f == "" {
			return nil, fmt.Errorf("empty field name in path %q", s)
		}
	}
	return p, nil
}

// field is one entry of value.fields: a path into the value and the attribute it is written to.
type field struct {
	path []string
	attr string
}

// parseField parses <dotted.path>[:alias].
func parseField(s string) (field, error) {
	body, alias, hasAlias := strings.Cut(strings.TrimSpace(s), ":")
	p, err := splitPath(strings.TrimSpace(body))
	if err != nil {
		return field{}, fmt.Errorf("%q: %v (expected <dotted.path>[:alias])", s, err)
	}
	f := field{path: p, attr: p[len(p)-1]}
	if hasAlias {
		if f.attr = strings.TrimSpace(alias); f.attr == "" {
			return field{}, fmt.Errorf("%q has an empty alias after ':'", s)
		}
	}
	return f, nil
}

// tableName expands a table.name.format for a topic and checks the result is a DynamoDB table
// name: 3 to 255 characters among a-z, A-Z, 0-9, '_', '-' and '.'.
func tableName(format, topic string) (string, error) {
	var b strings.Builder
	for rest := format; rest != ""; {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%q has an unclosed ${", format)
		}
		switch v := rest[i+2 : i+j]; v {
		case "topic":
			b.WriteString(topic)
		default:
			return "", fmt.Errorf("%q uses ${%s}; only ${topic} is known", format, v)
		}
		rest = rest[i+j+1:]
	}
	name := b.String()
	if len(name) < 3 || len(name) > 255 {
		return "", fmt.Errorf("table name %q must be 3 to 255 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "", fmt.Errorf("table name %q has %q: DynamoDB allows only a-z, A-Z, 0-9, '_', '-' and '.'", name, c)
		}
	}
	return name, nil
}
