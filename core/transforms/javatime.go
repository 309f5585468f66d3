package transforms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateFormat is a java.text.SimpleDateFormat pattern in the UTC time zone and an English
// locale, as Connect's TimestampConverter and TimestampRouter use them: it formats and parses
// instants given as milliseconds since the epoch.
//
// Pattern letters: G y Y M L w W D d F E u a H k K h m s S z Z X; text in single quotes is
// literal (” is a quote); other characters are literal. Dates use the proleptic Gregorian
// calendar (Java switches to the Julian calendar before 1582-10-15). Parsing is lenient as
// Java's is by default (month 13 is January of the next year; trailing text is ignored); week
// fields (Y w W F u) are formatted but cannot be parsed.
type DateFormat struct {
	pattern string
	toks    []dateTok
	// unit is the length, in ms, of the periods within which the formatted text cannot change
	// (1, 1000, 60000, 3600000 or a day).
	unit int64
	// century is the first year of the 100-year window that two-digit years parse into.
	century int
}

type dateTok struct {
	lit    string
	letter byte
	n      int
}

const javaPatternLetters = "GyYMLwWDdFEuaHkKhmsSzZX"

// ParseDateFormat compiles a SimpleDateFormat pattern; errors say what Java would reject.
func ParseDateFormat(pattern string) (*DateFormat, error) {
	f := &DateFormat{pattern: pattern, unit: msPerDay, century: time.Now().UTC().Year() - 80}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.toks = append(f.toks, dateTok{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				if j >= len(pattern) {
					return nil, fmt.Errorf("unterminated quote in date pattern %q", pattern)
				}
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(pattern[j])
				j++
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if strings.IndexByte(javaPatternLetters, c) < 0 {
				return nil, fmt.Errorf("illegal pattern character '%c' in date pattern %q", c, pattern)
			}
			j := i + 1
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			n := j - i
			if c == 'X' && n > 3 {
				return nil, fmt.Errorf("invalid ISO 8601 format: length=%d in date pattern %q", n, pattern)
			}
			flush()
			f.toks = append(f.toks, dateTok{letter: c, n: n})
			switch c {
			case 'S':
				f.unit = 1
			case 's':
				f.unit = min(f.unit, 1000)
			case 'm':
				f.unit = min(f.unit, 60000)
			case 'H', 'k', 'K', 'h', 'a':
				f.unit = min(f.unit, 3600000)
			}
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return f, nil
}

// Pattern returns the pattern the format was compiled from.
func (f *DateFormat) Pattern() string { return f.pattern }

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// Format returns the instant ms (milliseconds since the epoch) formatted.
func (f *DateFormat) Format(ms int64) string { return string(f.Append(nil, ms)) }

// Append appends the instant ms formatted to b.
func (f *DateFormat) Append(b []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	milli := int(floorMod(ms, 1000))
	for _, tk := range f.toks {
		if tk.letter == 0 {
			b = append(b, tk.lit...)
			continue
		}
		n := tk.n
		switch tk.letter {
		case 'G':
			if year <= 0 {
				b = append(b, "BC"...)
			} else {
				b = append(b, "AD"...)
			}
		case 'y', 'Y':
			y := year
			if tk.letter == 'Y' {
				y, _ = usWeek(t)
			}
			if y <= 0 {
				y = 1 - y
			}
			if n == 2 {
				b = pad(b, y%100, 2)
			} else {
				b = pad(b, y, n)
			}
		case 'M', 'L':
			switch {
			case n >= 4:
				b = append(b, monthNames[month-1]...)
			case n == 3:
				b = append(b, monthNames[month-1][:3]...)
			default:
				b = pad(b, int(month), n)
			}
		case 'w':
			_, w := usWeek(t)
			b = pad(b, w, n)
		case 'W':
			first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
			b = pad(b, (day-1+int(first.Weekday()))/7+1, n)
		case 'D':
			b = pad(b, t.YearDay(), n)
		case 'd':
			b = pad(b, day, n)
		case 'F':
			b = pad(b, (day-1)/7+1, n)
		case 'E':
			name := dayNames[t.Weekday()]
			if n < 4 {
				name = name[:3]
			}
			b = append(b, name...)
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b = pad(b, wd, n)
		case 'a':
			if hour < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'H':
			b = pad(b, hour, n)
		case 'k':
			h := hour
			if h == 0 {
				h = 24
			}
			b = pad(b, h, n)
		case 'K':
			b = pad(b, hour%12, n)
		case 'h':
			h := hour % 12
			if h == 0 {
				h = 12
			}
			b = pad(b, h, n)
		case 'm':
			b = pad(b, minute, n)
		case 's':
			b = pad(b, sec, n)
		case 'S':
			b = pad(b, milli, n)
		case 'z':
			if n >= 4 {
				b = append(b, "Coordinated Universal Time"...)
			} else {
				b = append(b, "UTC"...)
			}
		case 'Z':
			b = append(b, "+0000"...)
		case 'X':
			b = append(b, 'Z')
		}
	}
	return b
}

// usWeek returns the week year and week of year of t as Java's Calendar counts them in the US
// locale: weeks start on Sunday and week 1 is the week that holds January 1.
func usWeek(t time.Time) (year, week int) {
	year = t.Year()
	weekStart := t.AddDate(0, 0, -int(t.Weekday()))
	if end := weekStart.AddDate(0, 0, 6); end.Year() > year {
		return year + 1, 1
	}
	jan1 := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	return year, (t.YearDay()-1+int(jan1.Weekday()))/7 + 1
}

// pad appends v in decimal, zero-padded to at least n digits.
func pad(b []byte, v, n int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(d); i < n; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// numeric reports whether a pattern field is parsed as a number.
func (tk dateTok) numeric() bool {
	switch tk.letter {
	case 0, 'G', 'E', 'a', 'z', 'Z', 'X':
		return false
	case 'M', 'L':
		return tk.n <= 2
	}
	return true
}

// Parse parses text as SimpleDateFormat.parse does (leniently, ignoring trailing text) and
// returns milliseconds since the epoch; missing fields default to 1970-01-01T00:00:00.000Z.
func (f *DateFormat) Parse(text string) (int64, error) {
	year, month, day, hour, minute, sec, milli := 1970, 1, 1, 0, 0, 0, 0
	yearDay, hour12, pm, bc := 0, -1, false, false
	offset := 0 // seconds east of UTC
	pos := 0
	bad := func() (int64, error) {
		return 0, fmt.Errorf("unparseable date: %q does not match pattern %q", text, f.pattern)
	}
	for k, tk := range f.toks {
		if tk.letter == 0 {
			if !strings.HasPrefix(text[pos:], tk.lit) {
				return bad()
			}
			pos += len(tk.lit)
			continue
		}
		for pos < len(text) && (text[pos] == ' ' || text[pos] == '\t') {
			pos++
		}
		if tk.numeric() {
			limit := len(text)
			if k+1 < len(f.toks) && f.toks[k+1].numeric() {
				limit = min(limit, pos+tk.n) // abutting numeric fields: use the pattern's widths
			}
			start := pos
			for pos < limit && text[pos] >= '0' && text[pos] <= '9' {
				pos++
			}
			if pos == start || pos-start > 10 {
				return bad()
			}
			v, _ := strconv.Atoi(text[start:pos])
			switch tk.letter {
			case 'y':
				year = v
				if tk.n <= 2 && pos-start == 2 {
					year = f.century/100*100 + v
					if year < f.century {
						year += 100
					}
				}
			case 'M', 'L':
				month = v
			case 'd':
				day = v
			case 'D':
				yearDay = v
			case 'H':
				hour = v
			case 'k':
				if v == 24 {
					v = 0
				}
				hour = v
			case 'K':
				hour12 = v
			case 'h':
				if v == 12 {
					v = 0
				}
				hour12 = v
			case 'm':
				minute = v
			case 's':
				sec = v
			case 'S':
				milli = v
			default:
				return 0, fmt.Errorf("cannot parse pattern letter '%c' of date pattern %q", tk.letter, f.pattern)
			}
			continue
		}
		rest := text[pos:]
		switch tk.letter {
		case 'G':
			switch {
			case hasPrefixFold(rest, "AD"):
				pos += 2
			case hasPrefixFold(rest, "BC"):
				bc = true
				pos += 2
			default:
				return bad()
			}
		case 'M', 'L':
			m, n := matchName(rest, monthNames)
			if m < 0 {
				return bad()
			}
			month, pos = m+1, pos+n
		case 'E':
			d, n := matchName(rest, dayNames)
			if d < 0 {
				return bad()
			}
			pos += n
		case 'a':
			switch {
			case hasPrefixFold(rest, "AM"):
				pos += 2
			case hasPrefixFold(rest, "PM"):
				pm = true
				pos += 2
			default:
				return bad()
			}
		case 'z', 'Z', 'X':
			off, n, ok := parseZone(rest, tk.letter)
			if !ok {
				return bad()
			}
			offset, pos = off, pos+n
		}
	}
	if hour12 >= 0 { // Java applies AM_PM to the 12-hour fields only
		hour = hour12
		if pm {
			hour += 12
		}
	}
	if bc {
		year = 1 - year
	}
	var t time.Time
	if yearDay > 0 && !f.has('M', 'L', 'd') {
		t = time.Date(year, 1, yearDay, hour, minute, sec, 0, time.UTC)
	} else {
		t = time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	}
	return t.UnixMilli() + int64(milli) - int64(offset)*1000, nil
}

func (f *DateFormat) has(letters ...byte) bool {
	for _, tk := range f.toks {
		for _, l := range letters {
			if tk.letter == l {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// matchName matches the longest full or three-letter name at the start of s, ignoring case.
func matchName(s string, names []string) (index, length int) {
	index = -1
	for i, n := range names {
		if hasPrefixFold(s, n) && len(n) > length {
			index, length = i, len(n)
		} else if hasPrefixFold(s, n[:3]) && 3 > length {
			index, length = i, 3
		}
	}
	return index, length
}

// parseZone parses a zone as SimpleDateFormat does for z and Z (UTC, GMT, GMT+hh:mm, +hhmm) and
// for X (Z, +hh, +hhmm, +hh:mm); it returns the offset in seconds east of UTC.
func parseZone(s string, letter byte) (offset, n int, ok bool) {
	switch {
	case letter == 'X' && strings.HasPrefix(s, "Z"):
		return 0, 1, true
	case letter != 'X' && hasPrefixFold(s, "UTC"):
		n = 3
	case letter != 'X' && hasPrefixFold(s, "GMT"):
		n = 3
	}
	if n > 0 {
		if n < len(s) && (s[n] == '+' || s[n] == '-') {
			off, m, ok := parseOffset(s[n:])
			if ok {
				return off, n + m, true
			}
		}
		return 0, n, true
	}
	return parseOffset(s)
}

// parseOffset parses +hh, +hhmm or +hh:mm (or -).
func parseOffset(s string) (offset, n int, ok bool) {
	if len(s) < 3 || s[0] != '+' && s[0] != '-' || !isDigits(s[1:3]) {
		return 0, 0, false
	}
	h, _ := strconv.Atoi(s[1:3])
	m, n := 0, 3
	switch {
	case len(s) >= 6 && s[3] == ':' && isDigits(s[4:6]):
		m, _ = strconv.Atoi(s[4:6])
		n = 6
	case len(s) >= 5 && isDigits(s[3:5]):
		m, _ = strconv.Atoi(s[3:5])
		n = 5
	}
	offset = h*3600 + m*60
	if s[0] == '-' {
		offset = -offset
	}
	return offset, n, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
