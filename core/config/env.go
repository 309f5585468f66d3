package config

import (
	"errors"
	"strings"
)

const (
	// EnvPrefix starts the environment variables that hold settings.
	EnvPrefix = "CONNECT_"
	// FileEnv names the environment variable that points at a JSON or .properties settings file.
	FileEnv = "CONNECTOR_CONFIG_FILE"
)

// KeyName returns the setting an environment variable's name stands for, with the convention of
// Confluent's Connect images: the CONNECT_ prefix stripped, lowercased, then "___" is "-", "__"
// is "_" and "_" is "." (CONNECT_S3_BUCKET_NAME is s3.bucket.name, CONNECT_SOME__UNDERSCORE is
// some_underscore, CONNECT_A___B is a-b). Runs of more underscores decode as Confluent's images
// decode them: one "-" per three, then "_" for two left over or "." for one. ok is false when env
// does not start with CONNECT_ or has nothing after it.
func KeyName(env string) (key string, ok bool) {
	rest, found := strings.CutPrefix(env, EnvPrefix)
	if !found || rest == "" {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(rest))
	for i := 0; i < len(rest); {
		c := rest[i]
		if c != '_' {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		n := 0
		for i < len(rest) && rest[i] == '_' {
			n++
			i++
		}
		for ; n >= 3; n -= 3 {
			b.WriteByte('-')
		}
		switch n {
		case 2:
			b.WriteByte('_')
		case 1:
			b.WriteByte('.')
		}
	}
	return b.String(), true
}

// EnvName returns the environment variable that sets key, the inverse of KeyName:
// s3.bucket.name is CONNECT_S3_BUCKET_NAME ("." is "_", "_" is "__", "-" is "___", letters
// uppercased). The inverse is exact for names of lowercase letters, digits and the three
// separators in which neither "." nor "_" is directly followed by a separator; Spec.Check
// rejects other names.
func EnvName(key string) string {
	var b strings.Builder
	b.Grow(len(EnvPrefix) + len(key) + 8)
	b.WriteString(EnvPrefix)
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '.':
			b.WriteByte('_')
		case c == '_':
			b.WriteString("__")
		case c == '-':
			b.WriteString("___")
		case 'a' <= c && c <= 'z':
			b.WriteByte(c - ('a' - 'A'))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// EnvVar returns the environment variable that sets the named setting (see EnvName).
func (s *Spec) EnvVar(name string) string { return EnvName(name) }

// envRepresentable reports whether key survives EnvName then KeyName unchanged.
func envRepresentable(key string) error {
	if key == "" {
		return errors.New("is empty")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-':
			if (c == '.' || c == '_') && i+1 < len(key) && isSep(key[i+1]) {
				return errors.New(`has "." or "_" directly before a separator: no environment variable can name it`)
			}
		default:
			return errors.New("may hold only lowercase letters, digits, '.', '_' and '-' to have an environment variable")
		}
	}
	return nil
}

func isSep(c byte) bool { return c == '.' || c == '_' || c == '-' }

// FromEnviron returns the settings held by environment variables ("NAME=value", as os.Environ
// gives them) whose names start with CONNECT_, named by KeyName. Values are kept as they are,
// empty ones included; when two variables name the same setting, the later one wins.
func FromEnviron(environ []string) map[string]string {
	props := map[string]string{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if key, ok := KeyName(name); ok {
			props[key] = value
		}
	}
	return props
}

// lookupEnv returns the value of the last variable called name in environ.
func lookupEnv(environ []string, name string) (string, bool) {
	value, found := "", false
	for _, kv := range environ {
		if n, v, ok := strings.Cut(kv, "="); ok && n == name {
			value, found = v, true
		}
	}
	return value, found
}

// Load reads a connector's settings and parses them with s: the file named by
// CONNECTOR_CONFIG_FILE, when that is set in environ (see ReadFile), overlaid by the CONNECT_*
// variables of environ (see FromEnviron). A variable that is empty or blank counts as unset, so
// that a template may pass every parameter, given or not. Problems name where each bad value
// came from (the variable or the file).
func Load(s *Spec, environ []string) (*Config, error) {
	props := map[string]string{}
	source := map[string]string{}
	if path, ok := lookupEnv(environ, FileEnv); ok && path != "" {
		fileProps, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		for k, v := range fileProps {
			props[k], source[k] = v, path
		}
		// A Kafka Connect connector file names its connector with "name".
		if n, ok := fileProps["name"]; ok && s.Key("connector.name") != nil {
			if _, set := fileProps["connector.name"]; !set {
				props["connector.name"], source["connector.name"] = n, path
				delete(props, "name")
			}
		}
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || trim(value) == "" {
			continue
		}
		if key, ok := KeyName(name); ok {
			props[key], source[key] = value, name
		}
	}
	c, probs := s.parse(props)
	if len(probs) > 0 {
		for i := range probs {
			probs[i].Source = source[probs[i].Key]
		}
		return nil, s.wrap(probs)
	}
	return c, nil
}
