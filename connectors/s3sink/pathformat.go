package s3sink

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pathFormat is a parsed Joda-Time DateTimeFormat pattern, as Confluent's TimeBasedPartitioner
// uses for path.format: runs of one pattern letter are fields, quoted text ('year') and other
// characters are literal, ” is a quote.
type pathFormat []pfToken

// pfToken is a literal (letter 0) or a run of n pattern letters.
type pfToken struct {
	lit    string
	letter byte
	n      int
}

// maxFieldWidth bounds a field's padding: Joda accepts more, but no sensible path needs it.
const maxFieldWidth = 64

// parsePathFormat parses a pattern as Joda-Time's DateTimeFormat.forPattern does, rejecting
// letters that are not pattern letters ("illegal pattern component") and long zone names (zzzz),
// which need Java's zone name data.
func parsePathFormat(pattern string) (pathFormat, error) {
	if pattern == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	var out pathFormat
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if isLetter(c) {
			j := i + 1
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			n := j - i
			switch c {
			case 'G', 'C', 'Y', 'x', 'w', 'e', 'E', 'y', 'D', 'M', 'd', 'a', 'K', 'h', 'H', 'k', 'm', 's', 'S', 'Z':
			case 'z':
				if n >= 4 {
					return nil, fmt.Errorf("pattern component %q (long time zone names) is not supported: use z, Z, ZZ or ZZZ", pattern[i:j])
				}
			default:
				return nil, fmt.Errorf("illegal pattern component %q: quote literal text, as in 'year'=YYYY", pattern[i:j])
			}
			if n > maxFieldWidth {
				return nil, fmt.Errorf("pattern component %q is wider than %d", pattern[i:i+8]+"...", maxFieldWidth)
			}
			out = append(out, pfToken{letter: c, n: n})
			i = j
			continue
		}
		// Literal text: quoted sections and non-letters, up to the next unquoted letter.
		var b strings.Builder
		inQuote := false
		for ; i < len(pattern); i++ {
			c := pattern[i]
			if c == '\'' {
				if i+1 < len(pattern) && pattern[i+1] == '\'' {
					b.WriteByte('\'')
					i++
				} else {
					inQuote = !inQuote
				}
				continue
			}
			if !inQuote && isLetter(c) {
				break
			}
			b.WriteByte(c)
		}
		if b.Len() > 0 {
			out = append(out, pfToken{lit: b.String()})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the pattern prints nothing")
	}
	return out, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// usesText reports whether the format writes locale-dependent names.
func (f pathFormat) usesText() bool {
	for _, t := range f {
		switch {
		case t.letter == 'G', t.letter == 'E', t.letter == 'a', t.letter == 'z', t.letter == 'M' && t.n >= 3:
			return true
		}
	}
	return false
}

var (
	shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	longMonths  = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	shortDays   = [...]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	longDays    = [...]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// appendTo appends t, in its location, formatted as Joda-Time prints it with an English locale.
func (f pathFormat) appendTo(b []byte, t time.Time) []byte {
	for _, tok := range f {
		if tok.letter == 0 {
			b = append(b, tok.lit...)
			continue
		}
		n := tok.n
		year := int64(t.Year())
		yearOfEra := year
		if year <= 0 {
			yearOfEra = 1 - year
		}
		switch tok.letter {
		case 'G':
			if year > 0 {
				b = append(b, "AD"...)
			} else {
				b = append(b, "BC"...)
			}
		case 'C':
			b = appendPadded(b, yearOfEra/100, n)
		case 'Y':
			b = appendYear(b, yearOfEra, n)
		case 'y':
			b = appendYear(b, year, n)
		case 'x':
			wy, _ := t.ISOWeek()
			b = appendYear(b, int64(wy), n)
		case 'w':
			_, w := t.ISOWeek()
			b = appendPadded(b, int64(w), n)
		case 'e':
			b = appendPadded(b, int64(isoWeekday(t)), n)
		case 'E':
			if n >= 4 {
				b = append(b, longDays[isoWeekday(t)-1]...)
			} else {
				b = append(b, shortDays[isoWeekday(t)-1]...)
			}
		case 'D':
			b = appendPadded(b, int64(t.YearDay()), n)
		case 'M':
			switch {
			case n >= 4:
				b = append(b, longMonths[t.Month()-1]...)
			case n == 3:
				b = append(b, shortMonths[t.Month()-1]...)
			default:
				b = appendPadded(b, int64(t.Month()), n)
			}
		case 'd':
			b = appendPadded(b, int64(t.Day()), n)
		case 'a':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'K':
			b = appendPadded(b, int64(t.Hour()%12), n)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = appendPadded(b, int64(h), n)
		case 'H':
			b = appendPadded(b, int64(t.Hour()), n)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b = appendPadded(b, int64(h), n)
		case 'm':
			b = appendPadded(b, int64(t.Minute()), n)
		case 's':
			b = appendPadded(b, int64(t.Second()), n)
		case 'S':
			b = appendFraction(b, t.Nanosecond()/int(time.Millisecond), n)
		case 'z':
			name, _ := t.Zone()
			b = append(b, name...)
		case 'Z':
			_, off := t.Zone()
			switch n {
			case 1:
				b = append(b, formatOffset(off, false)...)
			case 2:
				b = append(b, formatOffset(off, true)...)
			default:
				b = append(b, zoneID(t.Location())...)
			}
		}
	}
	return b
}

// zoneID is the location's ID as Joda names it.
func zoneID(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return loc.String()
}

func isoWeekday(t time.Time) int {
	d := int(t.Weekday())
	if d == 0 {
		return 7
	}
	return d
}

// appendYear prints a year as Joda does: two digits (absolute value mod 100) for n == 2, else
// the signed number padded to n digits.
func appendYear(b []byte, y int64, n int) []byte {
	if n == 2 {
		if y < 0 {
			y = -y
		}
		return appendPadded(b, y%100, 2)
	}
	return appendPadded(b, y, n)
}

// appendPadded appends v in decimal, zero-padded to n digits after any minus sign.
func appendPadded(b []byte, v int64, n int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < n; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendFraction appends the milliseconds of a second as a fraction of n digits (Joda's S).
func appendFraction(b []byte, ms, n int) []byte {
	digits := []byte{byte('0' + ms/100), byte('0' + ms/10%10), byte('0' + ms%10)}
	if n <= 3 {
		return append(b, digits[:n]...)
	}
	b = append(b, digits...)
	for i := 3; i < n; i++ {
		b = append(b, '0')
	}
	return b
}
