package sqslocal

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
)

// Attribute is one message attribute, as the JSON protocol carries it (BinaryValue is base64 in
// JSON). Custom types ("Number.float", "Binary.gif") keep their full DataType.
type Attribute struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// transport codes of the attribute digest.
const (
	transportString = 1
	transportBinary = 2
)

// MD5OfBody returns the hex MD5 of a message body, SQS's MD5OfMessageBody.
func MD5OfBody(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// MD5OfAttributes returns SQS's MD5OfMessageAttributes of attrs, "" when there are none. As the
// SQS Developer Guide specifies: for each attribute in ascending order of name, the name, then
// the data type, each as a 4-byte big-endian length and UTF-8 bytes; then one transport byte (1
// for String and Number, 2 for Binary); then the value as a 4-byte big-endian length and bytes.
// The MD5 of the whole, in hex.
func MD5OfAttributes(attrs map[string]Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	var buf []byte
	field := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(a.DataType))
		if isBinary(a.DataType) {
			buf = append(buf, transportBinary)
			field(a.BinaryValue)
		} else {
			buf = append(buf, transportString)
			var v string
			if a.StringValue != nil {
				v = *a.StringValue
			}
			field([]byte(v))
		}
	}
	sum := md5.Sum(buf)
	return hex.EncodeToString(sum[:])
}

// baseType returns String, Number or Binary for a data type such as "Number.int".
func baseType(dataType string) string {
	base, _, _ := strings.Cut(dataType, ".")
	return base
}

func isBinary(dataType string) bool { return baseType(dataType) == "Binary" }
