package transforms

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registry maps transform and predicate class names (long and short) to their definitions.
// NewRegistry starts with Connect's built-in transforms and predicates; Register adds more. A
// Registry is safe for concurrent use once registration is done.
type Registry struct {
	transforms map[string]*Definition          // by class and by short name
	predicates map[string]*PredicateDefinition // by class and by short name
	tClasses   []string                        // registration order
	pClasses   []string
}

// NewRegistry returns a registry holding the built-in transforms and predicates.
func NewRegistry() *Registry {
	g := &Registry{transforms: map[string]*Definition{}, predicates: map[string]*PredicateDefinition{}}
	for _, d := range builtinTransforms() {
		if err := g.Register(d); err != nil {
			panic(err) // a programming error in the built-ins, caught by the tests
		}
	}
	for _, d := range builtinPredicates() {
		if err := g.RegisterPredicate(d); err != nil {
			panic(err)
		}
	}
	return g
}

// builtinTransforms lists the transforms every registry starts with: adding a transform is its
// file and one line here.
func builtinTransforms() []Definition {
	return slices.Concat(
		insertFieldDefs(),
		replaceFieldDefs(),
		maskFieldDefs(),
		[]Definition{valueToKeyDef()},
		extractFieldDefs(),
		hoistFieldDefs(),
		flattenDefs(),
		castDefs(),
		timestampConverterDefs(),
		[]Definition{timestampRouterDef(), regexRouterDef()},
		[]Definition{insertHeaderDef(), dropHeadersDef()},
		headerFromDefs(),
		[]Definition{filterDef()},
	)
}

// builtinPredicates lists the predicates every registry starts with.
func builtinPredicates() []PredicateDefinition {
	return []PredicateDefinition{topicNameMatchesDef(), hasHeaderKeyDef(), recordIsTombstoneDef()}
}

// Register adds a transform type; its class and short names must be new.
func (g *Registry) Register(d Definition) error {
	if err := checkDefinition(d.Class, d.New != nil); err != nil {
		return err
	}
	short := ShortName(d.Class)
	for _, n := range []string{d.Class, short} {
		if _, dup := g.transforms[n]; dup {
			return fmt.Errorf("transforms: %q is already registered", n)
		}
	}
	dd := d
	g.transforms[d.Class], g.transforms[short] = &dd, &dd
	g.tClasses = append(g.tClasses, d.Class)
	return nil
}

// RegisterPredicate adds a predicate type; its class and short names must be new.
func (g *Registry) RegisterPredicate(d PredicateDefinition) error {
	if err := checkDefinition(d.Class, d.New != nil); err != nil {
		return err
	}
	short := ShortName(d.Class)
	for _, n := range []string{d.Class, short} {
		if _, dup := g.predicates[n]; dup {
			return fmt.Errorf("transforms: predicate %q is already registered", n)
		}
	}
	dd := d
	g.predicates[d.Class], g.predicates[short] = &dd, &dd
	g.pClasses = append(g.pClasses, d.Class)
	return nil
}

func checkDefinition(class string, hasNew bool) error {
	if class == "" || strings.HasSuffix(class, ".") || strings.ContainsAny(class, " \t,") {
		return fmt.Errorf("transforms: invalid class name %q", class)
	}
	if !hasNew {
		return fmt.Errorf("transforms: %s has no constructor", class)
	}
	return nil
}

// Classes returns the registered transform class names, in registration order.
func (g *Registry) Classes() []string { return slices.Clone(g.tClasses) }

// PredicateClasses returns the registered predicate class names, in registration order.
func (g *Registry) PredicateClasses() []string { return slices.Clone(g.pClasses) }

// Transform returns the definition of a transform class (long or short name).
func (g *Registry) Transform(class string) (Definition, bool) {
	d, ok := g.transforms[class]
	if !ok {
		return Definition{}, false
	}
	return *d, true
}

// Predicate returns the definition of a predicate class (long or short name).
func (g *Registry) Predicate(class string) (PredicateDefinition, bool) {
	d, ok := g.predicates[class]
	if !ok {
		return PredicateDefinition{}, false
	}
	return *d, true
}

// defaultRegistry is the registry ChainFrom uses, built on first use.
var defaultRegistry = sync.OnceValue(NewRegistry)

// Default returns the registry of the built-in transforms and predicates that ChainFrom uses.
// Do not Register into it: make a NewRegistry for that.
func Default() *Registry { return defaultRegistry() }
