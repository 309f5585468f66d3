package javafmt

import (
	"strconv"
	"strings"
)

func parseJava(s string, bits int) (float64, error) {
	return strconv.ParseFloat(strings.Replace(s, "E", "e", 1), bits)
}
