package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPropertiesMatchJava parses the golden inputs, the fuzz seeds and a few hundred random
// inputs made of the characters that matter to the format with both ParseProperties and
// java.util.Properties (testdata/java/PropertiesDump.java), and compares. It is skipped when
// no JDK is installed, and in -short mode.
func TestPropertiesMatchJava(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("no javac")
	}
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-d", dir, filepath.Join("testdata", "java", "PropertiesDump.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}

	var inputs [][]byte
	goldens, _ := filepath.Glob(filepath.Join("testdata", "properties", "*.properties"))
	for _, f := range goldens {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReadProperties", "*"))
	for _, f := range seeds {
		if data, err := readFuzzSeed(f); err == nil {
			inputs = append(inputs, data)
		}
	}
	tokens := []string{"a", "b", "k.e-y", "=", ":", " ", "\t", "\f", "\\", "\\\\", "\n", "\r", "\r\n", "#", "!",
		"u", "0", "é", "€", "😀", "\\u00e9", "\\uD83D", "\\uDE00", "\\u12", "\\t", "\\ ", "\\=", "\\:", "\\\n", "\\\r\n"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 600 {
		var b bytes.Buffer
		for range rng.IntN(40) {
			b.WriteString(tokens[rng.IntN(len(tokens))])
		}
		if rng.IntN(10) == 0 {
			b.WriteByte(0xe9) // makes the input ISO-8859-1
		}
		inputs = append(inputs, b.Bytes())
	}

	args := []string{"-cp", dir, "PropertiesDump"}
	for i, in := range inputs {
		f := filepath.Join(dir, fmt.Sprintf("%04d.properties", i))
		if err := os.WriteFile(f, in, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	out, err := exec.Command(filepath.Join(filepath.Dir(javac), "java"), args...).Output()
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for ; sc.Scan(); n++ {
		f, result, _ := strings.Cut(sc.Text(), "\t")
		in := inputs[n]
		mine, myErr := ParseProperties(in)
		if strings.HasPrefix(result, "ERROR") {
			if myErr == nil {
				t.Errorf("%s %q: Java fails (%s), ParseProperties gives %q", filepath.Base(f), in, result, mine)
			}
			continue
		}
		var java map[string]string
		if err := json.Unmarshal([]byte(result), &java); err != nil {
			t.Fatalf("Java's output %q: %v", result, err)
		}
		if myErr != nil || !maps.Equal(mine, java) {
			t.Errorf("%s %q:\n Java %q\n mine %q, %v", filepath.Base(f), in, java, mine, myErr)
		}
	}
	if n != len(inputs) {
		t.Fatalf("Java answered for %d of %d inputs", n, len(inputs))
	}
}

// readFuzzSeed reads a "go test fuzz v1" file holding one []byte value.
func readFuzzSeed(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, rest, ok := strings.Cut(string(data), "\n")
	rest = strings.TrimSpace(rest)
	if !ok || !strings.HasPrefix(rest, "[]byte(") || !strings.HasSuffix(rest, ")") {
		return nil, fmt.Errorf("%s: not a []byte seed", path)
	}
	var s string
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(rest, "[]byte("), ")"), "%q", &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}
