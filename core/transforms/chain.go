package transforms

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// The settings that list transform and predicate aliases, and the prefixes of their settings.
const (
	KeyTransforms   = "transforms"
	KeyPredicates   = "predicates"
	TransformPrefix = "transforms."
	PredicatePrefix = "predicates."
	keyType         = "type"
	keyPredicate    = "predicate"
	keyNegate       = "negate"
)

// Prefixes are the setting prefixes a connector's spec passes through (config.Spec.Prefixes) for
// ChainFrom to validate.
var Prefixes = []string{TransformPrefix, PredicatePrefix}

// SpecKeys returns the transforms and predicates settings, for a connector's spec (and so its
// README table); the per-alias settings go under Prefixes.
func SpecKeys() []config.Key {
	return []config.Key{
		{Name: KeyTransforms, Type: config.List, Validate: uniqueAliases,
			Doc: "Aliases of the single message transforms applied, in order, to every record, as in Kafka Connect: transforms.<alias>.type names the transform by Connect's class name or short name (InsertField$Value), transforms.<alias>.<setting> sets it, transforms.<alias>.predicate and transforms.<alias>.negate apply it conditionally. Supported: InsertField, ReplaceField, MaskField, ValueToKey, ExtractField, HoistField, Flatten, Cast, TimestampConverter, TimestampRouter, RegexRouter, InsertHeader, DropHeaders, HeaderFrom and Filter ($Key and $Value variants where Connect has them)."},
		{Name: KeyPredicates, Type: config.List, Validate: uniqueAliases,
			Doc: "Aliases of the predicates that transforms refer to (transforms.<alias>.predicate): predicates.<alias>.type is TopicNameMatches, HasHeaderKey or RecordIsTombstone (or Connect's class name), predicates.<alias>.<setting> sets it."},
	}
}

func uniqueAliases(v any) error {
	seen := map[string]bool{}
	for _, a := range v.([]string) {
		if a == "" {
			return errors.New("an alias is empty")
		}
		if seen[a] {
			return fmt.Errorf("duplicate alias %q provided", a)
		}
		seen[a] = true
	}
	return nil
}

// Chain is a configured list of transforms with their predicates. The zero Chain and a nil *Chain
// apply no transform. A Chain is safe for concurrent use.
type Chain struct {
	steps []step
}

type step struct {
	alias, class string
	t            Transform
	raw          rawEditor // t, when it can edit a JSON object in place
	meta         bool      // t neither reads nor writes key or value data
	hdr          *insertHeader
	router       *timestampRouter // t, for the in-place calls that spare copies of the record
	pred         Predicate
	predMeta     bool // pred reads no key or value data
	negate       bool
}

// metadataOnly marks transforms and predicates that neither read nor write a record's key or
// value data (they may read the topic, headers or timestamp, or whether the value is null), so
// that a Chain need not render pending JSON edits before them.
type metadataOnly interface{ metadataOnly() }

// Len returns the number of transforms.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.steps)
}

// Aliases returns the transforms' aliases, in order.
func (c *Chain) Aliases() []string {
	if c == nil {
		return nil
	}
	out := make([]string, len(c.steps))
	for i, s := range c.steps {
		out[i] = s.alias
	}
	return out
}

// Apply runs the transforms in order, each unless its predicate (negated when negate=true) says
// otherwise. It returns the transformed record, or false when a transform (Filter) dropped it.
// An error is an *Error naming the transform, wrapping the transform's errclass.BadRecord error;
// the record returned with it is the input.
func (c *Chain) Apply(r record.Record) (record.Record, bool, error) {
	if c == nil || len(c.steps) == 0 {
		return r, true, nil
	}
	in := r
	var pend [2]*object // JSON objects being edited, by side
	for i := range c.steps {
		s := &c.steps[i]
		if s.pred != nil {
			if !s.predMeta {
				flush(&r, &pend)
			}
			if s.pred.Test(r) == s.negate {
				continue
			}
		}
		if s.raw != nil {
			sd := s.raw.rawSide()
			o := pend[sd]
			if o == nil {
				o = begin(&r, sd)
				pend[sd] = o
			}
			if o != nil {
				if err := s.raw.editRaw(metaOf(&r), o); err != nil {
					release(&pend)
					return in, false, s.wrap(err)
				}
				continue
			}
		} else if !s.meta {
			flush(&r, &pend)
		}
		switch {
		case s.hdr != nil:
			s.hdr.apply(&r)
			continue
		case s.router != nil:
			if err := s.router.apply(&r); err != nil {
				release(&pend)
				return in, false, s.wrap(err)
			}
			continue
		}
		out, keep, err := s.t.Apply(r)
		if err != nil {
			release(&pend)
			return in, false, s.wrap(err)
		}
		if !keep {
			release(&pend)
			return out, false, nil
		}
		r = out
	}
	flush(&r, &pend)
	return r, true, nil
}

func (s *step) wrap(err error) error {
	if !errclass.Is(err, errclass.BadRecord) {
		err = errclass.New(errclass.BadRecord, "", err)
	}
	return &Error{Alias: s.alias, Class: s.class, Err: err}
}

// begin starts editing the side's data as an object when it is a schemaless JSON object.
func begin(r *record.Record, sd side) *object {
	s, v := sd.get(r)
	raw, ok := v.(record.RawJSON)
	if s != nil || !ok {
		return nil
	}
	return scanObject(raw)
}

// flush renders the pending objects into the record, in place.
func flush(r *record.Record, pend *[2]*object) {
	if o := pend[valueSide]; o != nil {
		r.ValueSchema, r.ValueData = nil, o.render()
		o.release()
		pend[valueSide] = nil
	}
	if o := pend[keySide]; o != nil {
		r.KeySchema, r.KeyData = nil, o.render()
		o.release()
		pend[keySide] = nil
	}
}

func release(pend *[2]*object) {
	for i, o := range pend {
		if o != nil {
			o.release()
			pend[i] = nil
		}
	}
}

// ChainFrom builds the chain that the transforms and predicates settings of props describe, with
// the built-in transforms and predicates (see Registry.ChainFrom).
func ChainFrom(props map[string]string) (*Chain, error) { return Default().ChainFrom(props) }

// FromConfig builds the chain from a parsed connector configuration whose spec has SpecKeys and
// Prefixes.
func FromConfig(c *config.Config) (*Chain, error) { return Default().FromConfig(c) }

// FromConfig builds the chain from a parsed connector configuration whose spec has SpecKeys and
// Prefixes.
func (g *Registry) FromConfig(c *config.Config) (*Chain, error) {
	props := map[string]string{}
	vals := c.Values()
	for _, k := range []string{KeyTransforms, KeyPredicates} {
		if v, ok := vals[k]; ok {
			props[k] = v
		}
	}
	for _, p := range Prefixes {
		for k, v := range c.Sub(p) {
			props[p+k] = v
		}
	}
	return g.ChainFrom(props)
}

// ChainFrom builds the chain that props describe: transforms (aliases, in order),
// transforms.<alias>.type and the transform's settings, transforms.<alias>.predicate and
// transforms.<alias>.negate, predicates and predicates.<alias>.type and settings. Other settings
// are ignored. Every setting is checked before it returns: the error, of class
// errclass.BadConfig and wrapping config.Problems, names each bad setting (a missing or unknown
// type, with a suggestion; a missing required setting; a bad value; an unknown setting; a
// predicate that is named but not defined; settings of an alias that is not listed).
//
// Aliases are matched exactly, or else ignoring case, so that settings from environment
// variables (which are lowercase) find a mixed-case alias.
func (g *Registry) ChainFrom(props map[string]string) (*Chain, error) {
	var probs config.Problems
	tAliases, p := aliasList(props, KeyTransforms)
	probs = append(probs, p...)
	pAliases, p := aliasList(props, KeyPredicates)
	probs = append(probs, p...)

	tSettings, p := settingsByAlias(props, TransformPrefix, KeyTransforms, tAliases)
	probs = append(probs, p...)
	pSettings, p := settingsByAlias(props, PredicatePrefix, KeyPredicates, pAliases)
	probs = append(probs, p...)

	preds := map[string]Predicate{}
	for _, a := range pAliases {
		pr, p := g.buildPredicate(a, pSettings[a])
		probs = append(probs, p...)
		if pr != nil {
			preds[a] = pr
		}
	}
	chain := &Chain{}
	for _, a := range tAliases {
		st, p := g.buildStep(a, tSettings[a], pAliases, preds)
		probs = append(probs, p...)
		if st != nil {
			chain.steps = append(chain.steps, *st)
		}
	}
	if len(probs) > 0 {
		return nil, errclass.New(errclass.BadConfig, "transforms configuration", probs)
	}
	return chain, nil
}

// aliasList parses a list of aliases as Connect's ConnectorConfig does: comma-separated,
// trimmed, unique, none empty.
func aliasList(props map[string]string, key string) ([]string, config.Problems) {
	v, ok := props[key]
	if !ok {
		return nil, nil
	}
	v = javaTrim(v)
	if v == "" {
		return nil, nil
	}
	var out []string
	var probs config.Problems
	seen := map[string]bool{}
	for _, a := range strings.Split(v, ",") {
		a = javaTrim(a)
		switch {
		case a == "":
			probs = append(probs, config.Problem{Key: key, Message: fmt.Sprintf("an alias is empty in %q", v)})
		case seen[a]:
			probs = append(probs, config.Problem{Key: key, Message: fmt.Sprintf("duplicate alias %q provided", a)})
		default:
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, probs
}

// settingsByAlias groups the settings under prefix by the listed alias they belong to, by
// setting name ("type", "static.field"). Settings of an alias that is not listed are problems.
func settingsByAlias(props map[string]string, prefix, listKey string, aliases []string) (map[string]map[string]string, config.Problems) {
	out := make(map[string]map[string]string, len(aliases))
	for _, a := range aliases {
		out[a] = map[string]string{}
	}
	exact := map[string]bool{} // settings given with the alias spelt exactly
	var probs config.Problems
	names := make([]string, 0, len(props))
	for k := range props {
		if strings.HasPrefix(k, prefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		rest := k[len(prefix):]
		alias, setting, isExact := matchAlias(rest, aliases)
		if alias == "" {
			probs = append(probs, unlistedProblem(k, rest, listKey, aliases))
			continue
		}
		full := prefix + alias + "." + setting
		if !isExact && exact[full] {
			continue // the exact spelling wins
		}
		exact[full] = exact[full] || isExact
		out[alias][setting] = props[k]
	}
	return out, probs
}

// matchAlias finds the listed alias that rest ("alias.setting") starts with: the longest exact
// match, else the longest match ignoring case.
func matchAlias(rest string, aliases []string) (alias, setting string, exact bool) {
	for _, fold := range []bool{false, true} {
		for _, a := range aliases {
			if len(rest) <= len(a)+1 || rest[len(a)] != '.' || len(a) <= len(alias) {
				continue
			}
			head := rest[:len(a)]
			if head == a || fold && strings.EqualFold(head, a) {
				alias, setting = a, rest[len(a)+1:]
			}
		}
		if alias != "" {
			return alias, setting, !fold
		}
	}
	return "", "", false
}

func unlistedProblem(key, rest, listKey string, aliases []string) config.Problem {
	alias, _, _ := strings.Cut(rest, ".")
	msg := fmt.Sprintf("setting %q is for alias %q, which %s does not list", key, alias, listKey)
	if sug := closest(alias, aliases); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	} else if len(aliases) == 0 {
		msg += fmt.Sprintf(" (set %s=%s)", listKey, alias)
	} else {
		msg += fmt.Sprintf(" (%s=%s)", listKey, strings.Join(aliases, ","))
	}
	return config.Problem{Key: key, Message: msg, Unknown: true}
}

// closest returns the candidate within a few edits of name (case ignored), or "".
func closest(name string, candidates []string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", min(max(len(name)/4, 1), 3)+1
	for _, c := range candidates {
		if d := config.EditDistance(lower, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// parseSettings checks an alias's settings against keys (named by setting) with config's
// parser; the problems name the full setting (prefix + name).
func parseSettings(prefix string, keys []config.Key, settings map[string]string) (Settings, config.Problems) {
	spec := &config.Spec{Connector: strings.TrimSuffix(prefix, "."), Keys: make([]config.Key, len(keys))}
	for i, k := range keys {
		k.Name = prefix + k.Name
		spec.Keys[i] = k
	}
	props := make(map[string]string, len(settings))
	for k, v := range settings {
		props[prefix+k] = v
	}
	c, err := spec.Parse(props)
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			return Settings{}, ps
		}
		return Settings{}, config.Problems{{Key: strings.TrimSuffix(prefix, "."), Message: err.Error()}}
	}
	return Settings{c: c, prefix: prefix}, nil
}

// constructorProblems turns a constructor's error into problems naming full settings.
func constructorProblems(prefix string, err error) config.Problems {
	var ps config.Problems
	if errors.As(err, &ps) {
		out := make(config.Problems, len(ps))
		for i, p := range ps {
			if !strings.HasPrefix(p.Key, prefix) {
				p.Key = prefix + p.Key
			}
			out[i] = p
		}
		return out
	}
	return config.Problems{{Key: prefix + keyType, Message: err.Error()}}
}

func (g *Registry) buildPredicate(alias string, settings map[string]string) (Predicate, config.Problems) {
	prefix := PredicatePrefix + alias + "."
	class, ok := settings[keyType]
	if !ok {
		return nil, config.Problems{{Key: prefix + keyType, Message: "required setting is missing (set " + config.EnvName(prefix+keyType) + ")"}}
	}
	class = javaTrim(class)
	d, ok := g.predicates[class]
	if !ok {
		return nil, config.Problems{{Key: prefix + keyType, Message: g.unknownType(class, true)}}
	}
	rest := maps2(settings, keyType)
	s, probs := parseSettings(prefix, d.Keys, rest)
	if len(probs) > 0 {
		return nil, probs
	}
	p, err := d.New(s)
	if err != nil {
		return nil, constructorProblems(prefix, err)
	}
	return p, nil
}

func (g *Registry) buildStep(alias string, settings map[string]string, pAliases []string, preds map[string]Predicate) (*step, config.Problems) {
	prefix := TransformPrefix + alias + "."
	var probs config.Problems

	// The predicate and negate settings every transform has.
	st := &step{alias: alias}
	predAlias, hasPred := settings[keyPredicate]
	predAlias = javaTrim(predAlias)
	if hasPred && predAlias != "" {
		switch {
		case preds[predAlias] != nil:
			st.pred = preds[predAlias]
		case slices.Contains(pAliases, predAlias):
			// defined but invalid: its own problems are reported
		default:
			msg := fmt.Sprintf("predicate %q is not defined: list it in predicates and set predicates.%s.type", predAlias, predAlias)
			if sug := closest(predAlias, pAliases); sug != "" {
				msg = fmt.Sprintf("predicate %q is not defined, did you mean %q?", predAlias, sug)
			}
			probs = append(probs, config.Problem{Key: prefix + keyPredicate, Message: msg})
		}
	}
	if neg, ok := settings[keyNegate]; ok {
		switch strings.ToLower(javaTrim(neg)) {
		case "true":
			st.negate = true
		case "false":
		default:
			probs = append(probs, config.Problem{Key: prefix + keyNegate, Message: fmt.Sprintf("%q is not a boolean (true or false)", javaTrim(neg))})
		}
		if !hasPred || predAlias == "" {
			probs = append(probs, config.Problem{Key: prefix + keyNegate, Message: "negate is set but there is no " + prefix + keyPredicate + " defining a predicate to be negated"})
		}
	}
	if st.pred != nil {
		_, st.predMeta = st.pred.(metadataOnly)
	}

	class, ok := settings[keyType]
	if !ok {
		return nil, append(probs, config.Problem{Key: prefix + keyType, Message: "required setting is missing (set " + config.EnvName(prefix+keyType) + ")"})
	}
	class = javaTrim(class)
	d, ok := g.transforms[class]
	if !ok {
		return nil, append(probs, config.Problem{Key: prefix + keyType, Message: g.unknownType(class, false)})
	}
	st.class = d.Class
	s, p := parseSettings(prefix, d.Keys, maps2(settings, keyType, keyPredicate, keyNegate))
	if len(p) > 0 {
		return nil, append(probs, p...)
	}
	t, err := d.New(s)
	if err != nil {
		return nil, append(probs, constructorProblems(prefix, err)...)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	st.t = t
	st.raw, _ = t.(rawEditor)
	_, st.meta = t.(metadataOnly)
	st.hdr, _ = t.(*insertHeader)
	st.router, _ = t.(*timestampRouter)
	return st, nil
}

// maps2 returns settings without the named keys.
func maps2(settings map[string]string, drop ...string) map[string]string {
	out := make(map[string]string, len(settings))
	for k, v := range settings {
		if !slices.Contains(drop, k) {
			out[k] = v
		}
	}
	return out
}

// unknownType explains an unknown transform (or predicate) type, with a suggestion.
func (g *Registry) unknownType(class string, predicate bool) string {
	kind, known, classes := "transformation", g.transforms, g.tClasses
	if predicate {
		kind, classes = "predicate", g.pClasses
		if _, isT := g.transforms[class]; isT {
			return fmt.Sprintf("%q is a transformation, not a predicate: use it as transforms.<alias>.type", class)
		}
	} else if _, isP := g.predicates[class]; isP {
		return fmt.Sprintf("%q is a predicate, not a transformation: define it as predicates.<alias>.type and refer to it with transforms.<alias>.predicate", class)
	}
	if class == "" {
		return "required setting is empty"
	}
	if !predicate {
		var variants []string
		for _, v := range []string{"$Key", "$Value"} {
			if _, ok := known[class+v]; ok {
				variants = append(variants, ShortName(class)+v)
			}
		}
		if len(variants) > 0 {
			return fmt.Sprintf("%s %q is abstract and cannot be created: use %s", kind, class, strings.Join(variants, " or "))
		}
	}
	var shorts []string
	for _, c := range classes {
		shorts = append(shorts, ShortName(c))
	}
	if sug := closest(ShortName(class), shorts); sug != "" {
		return fmt.Sprintf("unknown %s type %q, did you mean %s?", kind, class, sug)
	}
	return fmt.Sprintf("unknown %s type %q (supported: %s)", kind, class, strings.Join(shorts, ", "))
}
