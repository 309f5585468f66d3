package glueregistry_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/converters"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/glueregistry"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func TestRegisterConverter(t *testing.T) {
	f := newFakeGlue(t)
	f.add("default-registry", "users", javaUUID, userV1)
	r := converters.Builtins()
	if err := glueregistry.Register(r, f.awsOpts()...); err != nil {
		t.Fatal(err)
	}
	if err := glueregistry.Register(r); err == nil {
		t.Fatal("registering twice succeeded")
	}
	classes, spellings := r.Classes()
	if classes[len(classes)-1] != glueregistry.ConverterClass || spellings[glueregistry.ConverterShortName] != glueregistry.ConverterClass {
		t.Fatalf("classes %v", classes)
	}
	frame, _ := hex.DecodeString(javaFrame)
	for _, class := range []string{glueregistry.ConverterClass, glueregistry.ConverterShortName} {
		conv, err := r.New(class, false, map[string]string{"region": "us-east-1", "endpoint": f.srv.URL, "registry.name": "default-registry"})
		if err != nil {
			t.Fatal(err)
		}
		s, v, err := conv.ToConnect("users", nil, frame)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "shop.User" || len(v.(*record.StructValue).Values) != 2 {
			t.Fatalf("%s: got %v %v", class, s.Name, v)
		}
	}
	_, err := r.New(glueregistry.ConverterShortName, true, map[string]string{"region": "us-east-1", "no.such.setting": "x"})
	if !errclass.Is(err, errclass.BadConfig) || !strings.Contains(err.Error(), "key.converter.") {
		t.Fatalf("bad setting = %v, want BadConfig naming key.converter.*", err)
	}
	if _, err := converters.New(glueregistry.ConverterClass, false, nil); err == nil {
		t.Fatal("the builtins accept the Glue class")
	}
}
