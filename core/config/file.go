package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// ReadFile reads settings from a file: a JSON object (a file named *.json, or any file whose
// first non-blank character is "{"; see ParseJSON) or a Java .properties file (see
// ParseProperties). Errors are of class errclass.BadConfig and name the file.
func ReadFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, "settings file", err)
	}
	var props map[string]string
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".json" || ext != ".properties" && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n\ufeff"), []byte("{")) {
		props, err = ParseJSON(data)
	} else {
		props, err = ParseProperties(data)
	}
	if err != nil {
		return nil, errclass.New(errclass.BadConfig, path, err)
	}
	return props, nil
}

// ParseJSON reads settings from a JSON object. String values are taken as they are, numbers as
// written and booleans as "true"/"false"; null leaves the setting unset. Kafka Connect's REST
// shape {"name": ..., "config": {...}} is accepted too: the settings are "config", and "name"
// becomes connector.name unless that is set. Objects and arrays are not setting values.
func ParseJSON(data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("not a JSON object of settings: %w", err)
	}
	if top == nil {
		return nil, errors.New("not a JSON object of settings: null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a JSON object of settings: data after the object")
	}
	settings := top
	name, hasName := "", false
	if cfg, ok := top["config"].(map[string]any); ok {
		settings = cfg
		name, hasName = top["name"].(string)
	}
	props := make(map[string]string, len(settings)+1)
	var bad []string
	for k, v := range settings {
		switch v := v.(type) {
		case string:
			props[k] = v
		case json.Number:
			props[k] = v.String()
		case bool:
			props[k] = fmt.Sprint(v)
		case nil:
		default:
			kind := "an object"
			if _, ok := v.([]any); ok {
				kind = "an array"
			}
			bad = append(bad, fmt.Sprintf("setting %q: %s is not a setting value (write lists as \"a,b,c\")", k, kind))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, errors.New(strings.Join(bad, "; "))
	}
	if _, set := props["connector.name"]; hasName && !set {
		props["connector.name"] = name
	}
	return props, nil
}

// ParseProperties reads settings from a Java .properties file as java.util.Properties.load
// does: comment lines start with "#" or "!", a key ends at the first unescaped "=", ":" or blank
// (key=value, key: value and key value), a line ending in an odd number of backslashes continues
// on the next one (whose leading blanks are skipped), and the escapes \t, \n, \r, \f, \uXXXX and
// backslash-anything (that character) are decoded; the last of duplicate keys wins. The file is
// read as UTF-8, or as ISO-8859-1 (Java's encoding for .properties) when it is not valid UTF-8.
func ParseProperties(data []byte) (map[string]string, error) {
	var in []rune
	if utf8.Valid(data) {
		in = []rune(strings.TrimPrefix(string(data), "\ufeff"))
	} else {
		in = make([]rune, len(data))
		for i, b := range data {
			in[i] = rune(b)
		}
	}
	lr := lineReader{in: in, line: 1}
	props := map[string]string{}
	for {
		line, lineNo, ok := lr.readLine()
		if !ok {
			return props, nil
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		props[key] = value
	}
}

func isBlank(c rune) bool { return c == ' ' || c == '\t' || c == '\f' }

// lineReader splits input into the logical lines of a .properties file, a port of
// java.util.Properties.LineReader: comments and blank lines dropped, continuations joined, the
// leading blanks of every natural line skipped.
type lineReader struct {
	in   []rune
	off  int
	line int // natural line number at off
	prev rune
	buf  []rune
}

func (lr *lineReader) next() rune {
	c := lr.in[lr.off]
	lr.off++
	if c == '\r' || c == '\n' && lr.prev != '\r' {
		lr.line++
	}
	lr.prev = c
	return c
}

// readLine returns the next logical line (with its escapes still in it) and the number of the
// natural line it starts on; ok is false at the end of the input.
func (lr *lineReader) readLine() (line []rune, lineNo int, ok bool) {
	lr.buf = lr.buf[:0]
	skipWhite, appendedLineBegin, precedingBackslash, skipLF := true, false, false, false
	lineNo = lr.line
	for {
		if lr.off >= len(lr.in) {
			if len(lr.buf) == 0 {
				return nil, 0, false
			}
			if precedingBackslash {
				lr.buf = lr.buf[:len(lr.buf)-1]
			}
			return lr.buf, lineNo, true
		}
		c := lr.next()
		if skipLF {
			skipLF = false
			if c == '\n' {
				continue
			}
		}
		if skipWhite {
			if isBlank(c) {
				continue
			}
			if !appendedLineBegin && (c == '\r' || c == '\n') {
				continue
			}
			skipWhite, appendedLineBegin = false, false
		}
		if len(lr.buf) == 0 {
			lineNo = lr.line
			if c == '#' || c == '!' { // a comment: skip to the end of the line
				for lr.off < len(lr.in) {
					c = lr.next()
					if c == '\n' {
						break
					}
					if c == '\r' {
						skipLF = true
						break
					}
				}
				skipWhite = true
				continue
			}
		}
		if c != '\n' && c != '\r' {
			lr.buf = append(lr.buf, c)
			if c == '\\' {
				precedingBackslash = !precedingBackslash
			} else {
				precedingBackslash = false
			}
			continue
		}
		// The end of a natural line.
		if len(lr.buf) == 0 {
			skipWhite = true
			continue
		}
		if lr.off >= len(lr.in) {
			if precedingBackslash {
				lr.buf = lr.buf[:len(lr.buf)-1]
			}
			return lr.buf, lineNo, true
		}
		if !precedingBackslash {
			if c == '\r' && lr.in[lr.off] == '\n' {
				lr.next() // keep the line count and position past \r\n
			}
			return lr.buf, lineNo, true
		}
		// A continuation: drop the backslash, skip the next line's leading blanks.
		lr.buf = lr.buf[:len(lr.buf)-1]
		skipWhite, appendedLineBegin, precedingBackslash = true, true, false
		if c == '\r' {
			skipLF = true
		}
	}
}

// splitProperty splits a logical line into its key and value and decodes their escapes, as
// Properties.load0.
func splitProperty(line []rune) (key, value string, err error) {
	keyLen, valueStart, hasSep, precedingBackslash := 0, len(line), false, false
	for keyLen < len(line) {
		c := line[keyLen]
		if (c == '=' || c == ':') && !precedingBackslash {
			valueStart, hasSep = keyLen+1, true
			break
		}
		if isBlank(c) && !precedingBackslash {
			valueStart = keyLen + 1
			break
		}
		if c == '\\' {
			precedingBackslash = !precedingBackslash
		} else {
			precedingBackslash = false
		}
		keyLen++
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if !hasSep && (c == '=' || c == ':') {
				hasSep = true
			} else {
				break
			}
		}
		valueStart++
	}
	if key, err = unescape(line[:keyLen]); err != nil {
		return "", "", err
	}
	if value, err = unescape(line[valueStart:]); err != nil {
		return "", "", fmt.Errorf("setting %q: %w", key, err)
	}
	return key, value, nil
}

// unescape decodes a key's or value's escapes, as Properties.loadConvert. \uXXXX escapes are
// UTF-16 code units: a surrogate pair makes one character, a lone surrogate U+FFFD.
func unescape(in []rune) (string, error) {
	if !containsBackslash(in) {
		return string(in), nil
	}
	units := make([]uint16, 0, len(in))
	put := func(r rune) {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			units = append(units, uint16(r1), uint16(r2))
		} else {
			units = append(units, uint16(r))
		}
	}
	for i := 0; i < len(in); {
		c := in[i]
		i++
		if c != '\\' {
			put(c)
			continue
		}
		if i >= len(in) {
			break // a trailing lone backslash means nothing
		}
		c = in[i]
		i++
		switch c {
		case 'u':
			if i+4 > len(in) {
				return "", errors.New(`malformed \uXXXX escape`)
			}
			var v uint16
			for _, h := range in[i : i+4] {
				switch {
				case '0' <= h && h <= '9':
					v = v<<4 | uint16(h-'0')
				case 'a' <= h && h <= 'f':
					v = v<<4 | uint16(h-'a'+10)
				case 'A' <= h && h <= 'F':
					v = v<<4 | uint16(h-'A'+10)
				default:
					return "", errors.New(`malformed \uXXXX escape`)
				}
			}
			i += 4
			units = append(units, v)
		case 't':
			put('\t')
		case 'r':
			put('\r')
		case 'n':
			put('\n')
		case 'f':
			put('\f')
		default:
			put(c)
		}
	}
	return string(utf16.Decode(units)), nil
}

func containsBackslash(in []rune) bool {
	for _, c := range in {
		if c == '\\' {
			return true
		}
	}
	return false
}
