package transforms

import (
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
)

// connectPackage is the package of Connect's built-in transforms.
const connectPackage = "org.apache.kafka.connect.transforms."

// base is what every $Key/$Value transform has: its short class name and its side.
type base struct {
	name string // "InsertField$Value"
	sd   side
}

func (b base) rawSide() side { return b.sd }

// keyValueDefs defines the $Key and $Value variants of a transform.
func keyValueDefs(name, doc string, keys []config.Key, build func(s Settings, b base) (Transform, error)) []Definition {
	out := make([]Definition, 0, 2)
	for _, sd := range []side{keySide, valueSide} {
		b := base{name: name + "$" + sd.String(), sd: sd}
		out = append(out, Definition{
			Class: connectPackage + b.name,
			Doc:   strings.ReplaceAll(doc, "{side}", strings.ToLower(sd.String())),
			Keys:  keys,
			New:   func(s Settings) (Transform, error) { return build(s, b) },
		})
	}
	return out
}

// nonEmptyList is Connect's NonEmptyListValidator.
func nonEmptyList(v any) error {
	if len(v.([]string)) == 0 {
		return fmt.Errorf("empty list is not allowed")
	}
	return nil
}

// nonEmptyString is Connect's ConfigDef.NonEmptyString.
func nonEmptyString(v any) error {
	if v.(string) == "" {
		return fmt.Errorf("string must be non-empty")
	}
	return nil
}

// nameSet is a small set of field names, matched against raw JSON member names without
// allocating.
type nameSet struct {
	names []string
	m     map[string]int // index in names, for large sets
	lens  uint64         // bit n set when a name is n bytes long (bit 63: 63 or more)
	fps   uint64         // bit nameFingerprint(n) set for each name n
}

func newNameSet(names []string) nameSet {
	s := nameSet{names: names}
	for _, n := range names {
		s.lens |= 1 << min(len(n), 63)
		s.fps |= 1 << nameFingerprint([]byte(n))
	}
	if len(names) > 8 {
		s.m = make(map[string]int, len(names))
		for i, n := range names {
			if _, dup := s.m[n]; !dup {
				s.m[n] = i
			}
		}
	}
	return s
}

// index returns the position of name in the set, or -1.
func (s *nameSet) index(name string) int {
	if s.m != nil {
		if i, ok := s.m[name]; ok {
			return i
		}
		return -1
	}
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

// nameFingerprint hashes a name's length and first and last bytes into 0..63. A member whose
// name has no escapes has the fingerprint of its content (see member.fp), so a set without that
// fingerprint cannot hold it.
func nameFingerprint(n []byte) uint8 {
	if len(n) == 0 {
		return 0
	}
	return uint8((uint(len(n))*0x9E + uint(n[0])*0x3B + uint(n[len(n)-1])) & 63)
}

// misses reports whether member m's name cannot be in the set, by its fingerprint alone: most
// members are ruled out so, inline, before indexMember.
func (s *nameSet) misses(m *member) bool { return !m.esc && s.fps>>(m.fp&63)&1 == 0 }

// missesAll reports whether no member of o can be in the set, by their fingerprints alone.
func (s *nameSet) missesAll(o *object) bool { return s.fps&o.fps == 0 }

// indexMember is index for member i of o.
func (s *nameSet) indexMember(o *object, i int) int {
	m := &o.ms[i]
	if s.misses(m) {
		return -1
	}
	if m.esc {
		return s.index(o.decodedName(i))
	}
	var name []byte
	if m.edit < 0 {
		if s.lens&(1<<min(int(m.nEnd-m.nOff), 63)) == 0 {
			return -1 // no name of that length: the common case, decided without touching src
		}
		name = o.src[m.nOff:m.nEnd]
	} else {
		name = o.name(i)
	}
	if s.lens&(1<<min(len(name), 63)) == 0 {
		return -1
	}
	if s.m != nil {
		if j, ok := s.m[string(name)]; ok {
			return j
		}
		return -1
	}
	for j, n := range s.names {
		if n == string(name) {
			return j
		}
	}
	return -1
}

func (s *nameSet) has(name string) bool { return s.index(name) >= 0 }

func (s *nameSet) len() int { return len(s.names) }

// javaTrim is Java's String.trim, as Connect's settings are trimmed: characters up to U+0020
// are removed from both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}
