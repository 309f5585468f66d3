package transforms

import (
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/core/config"
)

// Markdown returns the registered transforms and predicates as two Markdown tables (type,
// settings, description), for the README, ending in a newline. $Key/$Value pairs share a row.
func (g *Registry) Markdown() string {
	var b strings.Builder
	b.WriteString("Types are named by Connect's class name (`" + connectPackage + "<Type>`, predicates `" + predicatePackage +
		"<Type>`) or by the short name below. Every transform also takes `predicate` (a predicate's alias) and `negate`.\n\n")
	b.WriteString("| Transform (`transforms.<alias>.type`) | Settings (`transforms.<alias>.<setting>`) | Description |\n")
	b.WriteString("| --- | --- | --- |\n")
	for _, row := range g.rows(g.tClasses, func(c string) ([]config.Key, string) {
		d := g.transforms[c]
		return d.Keys, d.Doc
	}) {
		b.WriteString(row)
	}
	b.WriteString("\n| Predicate (`predicates.<alias>.type`) | Settings (`predicates.<alias>.<setting>`) | Description |\n")
	b.WriteString("| --- | --- | --- |\n")
	for _, row := range g.rows(g.pClasses, func(c string) ([]config.Key, string) {
		d := g.predicates[c]
		return d.Keys, d.Doc
	}) {
		b.WriteString(row)
	}
	return b.String()
}

func (g *Registry) rows(classes []string, def func(string) ([]config.Key, string)) []string {
	var rows []string
	for i := 0; i < len(classes); i++ {
		c := classes[i]
		keys, doc := def(c)
		name := "`" + ShortName(c) + "`"
		if base, ok := strings.CutSuffix(c, "$Key"); ok && i+1 < len(classes) && classes[i+1] == base+"$Value" {
			name = "`" + ShortName(base) + "$Key`, `" + ShortName(base) + "$Value`"
			_, doc = def(classes[i+1])
			doc = strings.Replace(doc, "record value", "record key or value", 1)
			i++
		}
		var settings []string
		for _, k := range keys {
			s := "`" + k.Name + "` (" + k.Type.String()
			switch {
			case k.Required:
				s += ", required"
			case k.Default != "":
				s += ", default `" + k.Default + "`"
			}
			if len(k.Enum) > 0 {
				s += ": " + strings.Join(k.Enum, ", ")
			}
			settings = append(settings, s+")")
		}
		if len(settings) == 0 {
			settings = []string{"none"}
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n", name, mdCell(strings.Join(settings, "<br>")), mdCell(doc)))
	}
	return rows
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
