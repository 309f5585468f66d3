package transforms

import (
	"fmt"
	"regexp"
	"strings"
)

// JavaRegexp is a java.util.regex.Pattern translated to Go's RE2 syntax, where the two agree.
// RE2 guarantees linear time and so has no lookaround, backreferences, possessive quantifiers or
// atomic groups; Java syntax that Go would read differently (nested or intersected character
// classes, \v, \h, the U and x flags) is rejected too, with a message that says so, rather than
// silently matching something else. Java's POSIX classes (\p{Lower}, \p{Alnum}, ...) are
// translated.
type JavaRegexp struct {
	expr string
	full *regexp.Regexp // anchored at both ends: Matcher.matches()
	find *regexp.Regexp // unanchored: Matcher.find()
}

// CompileJavaRegex compiles a Java regular expression.
func CompileJavaRegex(expr string) (*JavaRegexp, error) {
	goExpr, err := translateJavaRegex(expr)
	if err != nil {
		return nil, err
	}
	find, err := regexp.Compile(goExpr)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %v", expr, err)
	}
	full, err := regexp.Compile(`\A(?:` + goExpr + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %v", expr, err)
	}
	return &JavaRegexp{expr: expr, full: full, find: find}, nil
}

// String returns the Java expression.
func (j *JavaRegexp) String() string { return j.expr }

// Matches reports whether the whole of s matches, as Matcher.matches().
func (j *JavaRegexp) Matches(s string) bool { return j.full.MatchString(s) }

// NumGroups returns the number of capturing groups.
func (j *JavaRegexp) NumGroups() int { return j.find.NumSubexp() }

var javaPosixClasses = map[string]string{
	"Lower": `a-z`, "Upper": `A-Z`, "ASCII": `\x00-\x7F`, "Alpha": `a-zA-Z`, "Digit": `0-9`,
	"Alnum": `a-zA-Z0-9`, "Punct": `!-/:-@\[-` + "`" + `{-~`, "Graph": `!-~`, "Print": ` -~`,
	"Blank": ` \t`, "Cntrl": `\x00-\x1F\x7F`, "XDigit": `0-9a-fA-F`, "Space": ` \t\n\x0B\f\r`,
}

// translateJavaRegex rewrites Java syntax into RE2 syntax, or says why it cannot.
func translateJavaRegex(expr string) (string, error) {
	unsupported := func(what string) (string, error) {
		return "", fmt.Errorf("regular expression %q uses %s, which Go's RE2 engine does not support", expr, what)
	}
	var b strings.Builder
	inClass := false
	quant := false // the last thing written outside a class is a quantifier
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		wasQuant := quant
		quant = false
		switch {
		case c == '\\':
			if i+1 >= len(expr) {
				return "", fmt.Errorf("regular expression %q ends with an unescaped backslash", expr)
			}
			n := expr[i+1]
			switch {
			case n >= '1' && n <= '9' && !inClass:
				return unsupported(`a backreference (\` + string(n) + `)`)
			case n == 'k':
				return unsupported(`a named backreference (\k<name>)`)
			case n == 'Z' || n == 'G':
				return unsupported(`\` + string(n) + ` (use \z, or $)`)
			case n == 'R' || n == 'X' || n == 'h' || n == 'H' || n == 'v' || n == 'V':
				return unsupported(`\` + string(n))
			case n == 'Q':
				end := strings.Index(expr[i+2:], `\E`)
				lit := expr[i+2:]
				if end >= 0 {
					lit = expr[i+2 : i+2+end]
					i = i + 2 + end + 1
				} else {
					i = len(expr) - 1
				}
				b.WriteString(regexp.QuoteMeta(lit))
				continue
			case n == 'p' || n == 'P':
				if i+2 < len(expr) && expr[i+2] == '{' {
					end := strings.IndexByte(expr[i+2:], '}')
					if end > 0 {
						name := expr[i+3 : i+2+end]
						if cls, ok := javaPosixClasses[strings.TrimPrefix(name, "Is")]; ok {
							switch {
							case !inClass && n == 'p':
								b.WriteString("[" + cls + "]")
							case !inClass:
								b.WriteString("[^" + cls + "]")
							case n == 'p':
								b.WriteString(cls)
							default:
								return unsupported(`\P{` + name + `} inside a character class`)
							}
							i += 2 + end
							continue
						}
						if strings.HasPrefix(name, "java") || strings.HasPrefix(name, "In") {
							return unsupported(`\` + string(n) + `{` + name + `}`)
						}
					}
				}
			}
			b.WriteByte(c)
			b.WriteByte(n)
			i++
		case inClass:
			switch {
			case c == '[' && !strings.HasPrefix(expr[i:], "[:"):
				return unsupported("a nested character class (escape the [ as \\[)")
			case c == '[':
				return unsupported("a POSIX bracket expression [:name:] (Java reads it as characters; use \\p{Name})")
			case c == '&' && i+1 < len(expr) && expr[i+1] == '&':
				return unsupported("a character class intersection (&&)")
			case c == ']':
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ] right after [ or [^ is a literal in both syntaxes.
			if i+1 < len(expr) && expr[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '(' && i+1 < len(expr) && expr[i+1] == '?':
			rest := expr[i+2:]
			switch {
			case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
				return unsupported("a lookahead (?= or (?!")
			case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
				return unsupported("a lookbehind (?<= or (?<!")
			case strings.HasPrefix(rest, ">"):
				return unsupported("an atomic group (?>")
			case strings.HasPrefix(rest, "<"):
				b.WriteString("(?P<") // a named group
				i += 2
				continue
			}
			// Inline flags: Go has i, m, s and U (which means ungreedy, not Unicode).
			j := 0
			for j < len(rest) && rest[j] != ')' && rest[j] != ':' {
				switch rest[j] {
				case 'i', 'm', 's', '-':
				case 'U':
					return unsupported("the (?U) flag (UNICODE_CHARACTER_CLASS)")
				case 'x':
					return unsupported("the (?x) flag (comments)")
				case 'u', 'd':
					return unsupported("the (?" + string(rest[j]) + ") flag")
				}
				j++
			}
			b.WriteByte(c)
		case c == '+' && wasQuant:
			return unsupported("a possessive quantifier (" + string(expr[i-1]) + "+)")
		case c == '*' || c == '+' || c == '?':
			b.WriteByte(c)
			quant = !wasQuant // a second one (a+?) makes the first lazy
		case c == '{':
			if end := strings.IndexByte(expr[i:], '}'); end > 0 && isRepeat(expr[i+1:i+end]) {
				b.WriteString(expr[i : i+end+1])
				i += end
				quant = true
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// isRepeat reports whether s is the inside of a {n}, {n,} or {n,m} quantifier.
func isRepeat(s string) bool {
	lo, hi, comma := strings.Cut(s, ",")
	return isDigits(lo) && (!comma || hi == "" || isDigits(hi))
}

// javaReplacement is a parsed java.util.regex.Matcher replacement string: literal text, $n and
// ${name} group references, \x escapes.
type javaReplacement []replPart

type replPart struct {
	lit   string
	group int // -1 for literal text
}

// parseJavaReplacement parses a replacement as Matcher.appendReplacement does, against the
// groups of re.
func parseJavaReplacement(repl string, re *JavaRegexp) (javaReplacement, error) {
	var out javaReplacement
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumGroups()
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return nil, fmt.Errorf("character to be escaped is missing")
			}
			lit.WriteByte(repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return nil, fmt.Errorf("illegal group reference: group index is missing")
			}
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return nil, fmt.Errorf("named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				if name == "" {
					return nil, fmt.Errorf("named capturing group has 0 length name")
				}
				g := re.find.SubexpIndex(name)
				if g < 0 {
					return nil, fmt.Errorf("no group with name {%s}", name)
				}
				flush()
				out = append(out, replPart{group: g})
				i += end
				continue
			}
			if repl[i] < '0' || repl[i] > '9' {
				return nil, fmt.Errorf("illegal group reference")
			}
			g := int(repl[i] - '0')
			if g > groups {
				return nil, fmt.Errorf("no group %d", g)
			}
			for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
				next := g*10 + int(repl[i+1]-'0')
				if next > groups {
					break
				}
				g = next
				i++
			}
			flush()
			out = append(out, replPart{group: g})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

// replaceFirst is Matcher.replaceFirst: the first match of the unanchored pattern in s replaced.
func (rp javaReplacement) replaceFirst(re *JavaRegexp, s string) string {
	loc := re.find.FindStringSubmatchIndex(s)
	if loc == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:loc[0]])
	for _, p := range rp {
		if p.group < 0 {
			b.WriteString(p.lit)
		} else if a := loc[2*p.group]; a >= 0 {
			b.WriteString(s[a:loc[2*p.group+1]])
		}
	}
	b.WriteString(s[loc[1]:])
	return b.String()
}
