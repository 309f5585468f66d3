package config

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// hidden replaces a password's value wherever a value would be printed.
const hidden = "[hidden]"

// Problem is one invalid setting.
type Problem struct {
	// Key is the setting concerned.
	Key string
	// Message says what is wrong, without the key ("\"abc\" is not an integer").
	Message string
	// Unknown is set for a key the spec does not know; Message then names the key itself.
	Unknown bool
	// Source is where the value came from (an environment variable or a file), when known.
	Source string
}

// String returns "key: message", or the message alone for an unknown key, followed by the source.
func (p Problem) String() string {
	s := p.Key + ": " + p.Message
	if p.Unknown {
		s = p.Message
	}
	if p.Source != "" {
		s += " (from " + p.Source + ")"
	}
	return s
}

// Problems are every invalid setting of a configuration. Spec.Parse and Load return them wrapped
// in an errclass.Error of class BadConfig; errors.As(err, &problems) gets them back.
type Problems []Problem

func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "no problems"
	case 1:
		return ps[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid settings: ", len(ps))
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Keys returns the keys concerned, in the order of the problems.
func (ps Problems) Keys() []string {
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}

// Parse validates props against the spec and returns the parsed configuration. Every key is
// checked before it returns: the error, of class errclass.BadConfig and wrapping Problems, names
// every missing required key, every value of the wrong type, outside Enum or failing Validate,
// and every unknown key (with a "did you mean" suggestion when a known key is close). Keys under
// one of s.Prefixes are kept for the component that owns them (Config.Sub); keys in s.Ignored are
// accepted and listed by Config.Ignored. Values are trimmed as Kafka's ConfigDef trims them; a
// Class value given by one of its Aliases is replaced by the canonical Enum value.
func (s *Spec) Parse(props map[string]string) (*Config, error) {
	c, probs := s.parse(props)
	if len(probs) > 0 {
		return nil, s.wrap(probs)
	}
	return c, nil
}

// wrap classifies problems as one BadConfig error about the connector's configuration.
func (s *Spec) wrap(probs Problems) error {
	subject := "configuration"
	if s.Connector != "" {
		subject = s.Connector + " configuration"
	}
	return errclass.New(errclass.BadConfig, subject, probs)
}

func (s *Spec) parse(props map[string]string) (*Config, Problems) {
	c := &Config{
		spec:     s,
		index:    make(map[string]int, len(s.Keys)),
		values:   make(map[string]any, len(s.Keys)),
		text:     make(map[string]string, len(s.Keys)),
		set:      make(map[string]bool, len(props)),
		original: make(map[string]string, len(props)),
	}
	for k, v := range props {
		c.original[k] = v
	}
	var probs Problems
	for i := range s.Keys {
		k := &s.Keys[i]
		c.index[k.Name] = i
		raw, ok := props[k.Name]
		if !ok {
			if k.Required {
				probs = append(probs, Problem{Key: k.Name, Message: "required setting is missing (set " + EnvName(k.Name) + ")"})
				continue
			}
			if k.Default == "" {
				continue // optional without a default: unset, getters return the zero value
			}
			raw = k.Default
		}
		v, text, msg := k.parse(raw)
		if msg != "" {
			if !ok {
				msg = "the spec's default is invalid: " + msg
			}
			probs = append(probs, Problem{Key: k.Name, Message: msg})
			continue
		}
		c.values[k.Name], c.text[k.Name], c.set[k.Name] = v, text, ok
	}

	var unknown []string
	for name := range props {
		if _, known := c.index[name]; known {
			continue
		}
		switch {
		case s.underPrefix(name):
			// kept in c.original for Sub
		case slices.Contains(s.Ignored, name):
			c.ignored = append(c.ignored, name)
		default:
			unknown = append(unknown, name)
		}
	}
	sort.Strings(c.ignored)
	sort.Strings(unknown)
	for _, name := range unknown {
		msg := fmt.Sprintf("unknown setting %q", name)
		if sug := s.suggest(name); sug != "" {
			msg += ", did you mean " + sug + "?"
		}
		probs = append(probs, Problem{Key: name, Message: msg, Unknown: true})
	}
	return c, probs
}

func (s *Spec) underPrefix(name string) bool {
	for _, p := range s.Prefixes {
		if p != "" && strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

// trim removes leading and trailing characters up to U+0020, as Java's String.trim.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// parse converts raw text to the key's type and checks it: it returns the value, its canonical
// text, and a message ("" when valid).
func (k *Key) parse(raw string) (v any, text, msg string) {
	t := trim(raw)
	shown := strconv.Quote(t)
	if k.Type == Password {
		shown = hidden
	}
	switch k.Type {
	case String, Password:
		if k.Required && t == "" {
			return nil, "", "required setting is empty"
		}
		v, text = t, t
	case Class:
		if k.Required && t == "" {
			return nil, "", "required setting is empty"
		}
		if canon, ok := k.Aliases[t]; ok {
			t = canon
		}
		v, text = t, t
	case Int:
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil {
			if isRange(err) {
				return nil, "", fmt.Sprintf("%s is out of range for an int (%d to %d)", shown, math.MinInt32, math.MaxInt32)
			}
			return nil, "", shown + " is not an integer"
		}
		v, text = int(n), strconv.FormatInt(n, 10)
	case Long:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			if isRange(err) {
				return nil, "", shown + " is out of range for a long"
			}
			return nil, "", shown + " is not an integer"
		}
		v, text = n, strconv.FormatInt(n, 10)
	case Double:
		f, err := strconv.ParseFloat(t, 64)
		if err != nil && !isRange(err) || math.IsNaN(f) {
			return nil, "", shown + " is not a number"
		}
		if math.IsInf(f, 0) {
			return nil, "", shown + " is not a finite number"
		}
		v, text = f, strconv.FormatFloat(f, 'g', -1, 64)
	case Boolean:
		switch {
		case strings.EqualFold(t, "true"):
			v, text = true, "true"
		case strings.EqualFold(t, "false"):
			v, text = false, "false"
		default:
			return nil, "", shown + " is not a boolean (true or false)"
		}
	case List:
		items := splitList(t)
		v, text = items, strings.Join(items, ",")
	default:
		return nil, "", fmt.Sprintf("the spec gives it an unknown type %d", k.Type)
	}

	if len(k.Enum) > 0 {
		if k.Type == List {
			for _, item := range v.([]string) {
				if !slices.Contains(k.Enum, item) {
					return nil, "", fmt.Sprintf("%q is not one of %s", item, k.accepted())
				}
			}
		} else if !slices.Contains(k.Enum, text) {
			return nil, "", fmt.Sprintf("%s is not one of %s", shown, k.accepted())
		}
	}
	if k.Validate != nil {
		if err := k.Validate(v); err != nil {
			return nil, "", fmt.Sprintf("%s (got %s)", err.Error(), shown)
		}
	}
	return v, text, ""
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// splitList splits a list value as Kafka's ConfigDef does: "" is the empty list, otherwise the
// items between commas, blanks trimmed (empty items are kept).
func splitList(t string) []string {
	if t == "" {
		return []string{}
	}
	items := strings.Split(t, ",")
	for i := range items {
		items[i] = trim(items[i])
	}
	return items
}

// accepted lists the accepted values of an Enum key: the canonical values and, for Class keys,
// their aliases.
func (k *Key) accepted() string {
	var b strings.Builder
	for i, e := range k.Enum {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e)
	}
	if al := k.aliasNames(); len(al) > 0 {
		b.WriteString(" (or " + strings.Join(al, ", ") + ")")
	}
	return b.String()
}

// aliasNames returns the key's alias spellings that differ from a canonical value, sorted.
func (k *Key) aliasNames() []string {
	var al []string
	for a := range k.Aliases {
		if !slices.Contains(k.Enum, a) {
			al = append(al, a)
		}
	}
	sort.Strings(al)
	return al
}

// ParseBool reads a component's boolean setting that is not in a Spec (a converter's, for
// example), with the values a Spec's Boolean accepts: true or false, any case. Anything else is a
// BadConfig error naming the setting.
func ParseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errclass.Config(name, "must be true or false, got %q", v)
}
