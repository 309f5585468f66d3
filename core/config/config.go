package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Config is a parsed, valid configuration: the value of every key of its spec (set, defaulted or
// unset), the settings passed through under the spec's prefixes, and the ignored keys that were
// given. It is read-only and safe for concurrent use.
//
// The getters take a key's name. A name that is not in the spec, or a getter that does not match
// the key's type, is a programming error: the getter panics. An optional key without a default
// that was not set reads as the zero value (see IsSet).
type Config struct {
	spec     *Spec
	index    map[string]int    // key name -> index in spec.Keys
	values   map[string]any    // parsed values of keys set or defaulted
	text     map[string]string // canonical text of the same
	set      map[string]bool   // keys given explicitly
	original map[string]string // every setting as given
	ignored  []string
}

// Spec returns the spec the configuration was parsed with.
func (c *Config) Spec() *Spec { return c.spec }

func (c *Config) key(name, getter string, types ...Type) *Key {
	i, ok := c.index[name]
	if !ok {
		panic(fmt.Sprintf("config: %s: %q is not a setting of the %q spec", getter, name, c.spec.Connector))
	}
	k := &c.spec.Keys[i]
	if !slices.Contains(types, k.Type) {
		panic(fmt.Sprintf("config: %s(%q): the setting is a %s", getter, name, k.Type))
	}
	return k
}

// String returns the value of a String, Class or Password key (for a Class key, the canonical
// Enum value).
func (c *Config) String(name string) string {
	c.key(name, "String", String, Class, Password)
	v, _ := c.values[name].(string)
	return v
}

// Int returns the value of an Int key.
func (c *Config) Int(name string) int {
	c.key(name, "Int", Int)
	v, _ := c.values[name].(int)
	return v
}

// Long returns the value of a Long key.
func (c *Config) Long(name string) int64 {
	c.key(name, "Long", Long)
	v, _ := c.values[name].(int64)
	return v
}

// Double returns the value of a Double key.
func (c *Config) Double(name string) float64 {
	c.key(name, "Double", Double)
	v, _ := c.values[name].(float64)
	return v
}

// Bool returns the value of a Boolean key.
func (c *Config) Bool(name string) bool {
	c.key(name, "Bool", Boolean)
	v, _ := c.values[name].(bool)
	return v
}

// List returns a copy of the value of a List key (nil when unset).
func (c *Config) List(name string) []string {
	c.key(name, "List", List)
	v, _ := c.values[name].([]string)
	return slices.Clone(v)
}

// Password returns the value of a Password key. Never log it: Redacted hides it.
func (c *Config) Password(name string) string {
	c.key(name, "Password", Password)
	v, _ := c.values[name].(string)
	return v
}

// IsSet reports whether the key was given explicitly (false when its default applies or it is
// unset).
func (c *Config) IsSet(name string) bool {
	if _, ok := c.index[name]; !ok {
		panic(fmt.Sprintf("config: IsSet: %q is not a setting of the %q spec", name, c.spec.Connector))
	}
	return c.set[name]
}

// Sub returns the settings whose names start with prefix, with the prefix stripped: the settings
// passed through under one of the spec's Prefixes as given, and the spec's own keys under prefix
// with their effective (set or default) value. For example Sub("value.converter.") gives
// {"schemas.enable": "false"} for value.converter.schemas.enable=false.
func (c *Config) Sub(prefix string) map[string]string {
	out := map[string]string{}
	for name, v := range c.original {
		if _, isKey := c.index[name]; !isKey && strings.HasPrefix(name, prefix) && c.spec.underPrefix(name) {
			out[name[len(prefix):]] = v
		}
	}
	for name, v := range c.text {
		if strings.HasPrefix(name, prefix) {
			out[name[len(prefix):]] = v
		}
	}
	return out
}

// Ignored returns the names of the settings that were given but are in the spec's Ignored list,
// sorted, for the caller to log.
func (c *Config) Ignored() []string { return slices.Clone(c.ignored) }

// Redacted returns the effective configuration for logging: every key set or defaulted, the
// settings under the spec's prefixes and the ignored settings given, with passwords (and
// pass-through settings whose names suggest a secret) as "[hidden]".
func (c *Config) Redacted() map[string]string {
	out := make(map[string]string, len(c.text)+len(c.original))
	for name, v := range c.original {
		if _, isKey := c.index[name]; isKey {
			continue
		}
		if secretName(name) {
			v = hidden
		}
		out[name] = v
	}
	for name, v := range c.text {
		if c.spec.Keys[c.index[name]].Type == Password {
			v = hidden
		}
		out[name] = v
	}
	return out
}

// Values returns the effective (set or default) text of every key that has one, passwords
// included: for handing the whole configuration to code that takes a map. Log Redacted instead.
func (c *Config) Values() map[string]string { return maps.Clone(c.text) }

// secretName reports whether a setting's name suggests that its value is a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "secret", "token", "credential", "user.info", "jaas.config", "private"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
