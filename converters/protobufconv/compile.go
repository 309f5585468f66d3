package protobufconv

import (
	"context"
	"fmt"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// knownFiles are the imports Confluent's serializers treat as built in (never registered as
// references), besides google/protobuf/*.proto which protocompile provides.
var knownFiles = map[string]string{
	"confluent/meta.proto": `syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`,
	"confluent/type/decimal.proto": `syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
`,
	"google/type/date.proto": `syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
`,
	"google/type/timeofday.proto": `syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
`,
}

// metaField is the field number of Confluent's field_meta option (confluent/meta.proto).
const metaField = 1088

// rootFile is the name the schema being compiled is given.
const rootFile = "lambda-connect-schema.proto"

// compile compiles a .proto text whose imports are in deps (import path -> text), the known
// files, or google/protobuf/*.proto.
func compile(ctx context.Context, text string, deps map[string]string) (protoreflect.FileDescriptor, error) {
	srcs := make(map[string]string, len(deps)+len(knownFiles)+1)
	for k, v := range knownFiles {
		srcs[k] = v
	}
	for k, v := range deps {
		srcs[k] = v
	}
	srcs[rootFile] = text
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(srcs)}),
		MaxParallelism: 1,
	}
	files, err := c.Compile(ctx, rootFile)
	if err != nil {
		return nil, fmt.Errorf("compiling the .proto schema: %s", firstLine(err.Error()))
	}
	return files[0], nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// messageAt returns the message type the message indexes name: indexes[0] is a top-level message
// of the file, each next index a message nested in the previous one.
func messageAt(fd protoreflect.FileDescriptor, indexes []int) (protoreflect.MessageDescriptor, error) {
	msgs := fd.Messages()
	var md protoreflect.MessageDescriptor
	for _, i := range indexes {
		if i < 0 || i >= msgs.Len() {
			return nil, fmt.Errorf("message indexes %v: no message %d (of %d)", indexes, i, msgs.Len())
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	if md == nil {
		return nil, fmt.Errorf("message indexes %v name no message", indexes)
	}
	return md, nil
}

// indexesOf returns the message indexes of md in its file.
func indexesOf(md protoreflect.MessageDescriptor) []int {
	var idx []int
	for d := protoreflect.Descriptor(md); ; d = d.Parent() {
		m, ok := d.(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		idx = append([]int{m.Index()}, idx...)
	}
	return idx
}

// fieldParams returns the params of a field's (confluent.field_meta) option, or nil.
func fieldParams(fd protoreflect.FieldDescriptor) map[string]string {
	opts := fd.Options()
	if opts == nil {
		return nil
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(opts)
	if err != nil {
		return nil
	}
	var params map[string]string
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return params
		}
		raw = raw[n:]
		if num == metaField && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(raw)
			if n < 0 {
				return params
			}
			params = parseMetaParams(v, params)
			raw = raw[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, raw)
		if n < 0 {
			return params
		}
		raw = raw[n:]
	}
	return params
}

// parseMetaParams reads the params map (field 2) of a confluent.Meta message.
func parseMetaParams(b []byte, params map[string]string) map[string]string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return params
		}
		b = b[n:]
		if num == 2 && typ == protowire.BytesType {
			entry, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return params
			}
			b = b[n:]
			var k, v string
			for len(entry) > 0 {
				en, et, m := protowire.ConsumeTag(entry)
				if m < 0 {
					break
				}
				entry = entry[m:]
				if et != protowire.BytesType {
					m = protowire.ConsumeFieldValue(en, et, entry)
					if m < 0 {
						break
					}
					entry = entry[m:]
					continue
				}
				s, m := protowire.ConsumeBytes(entry)
				if m < 0 {
					break
				}
				entry = entry[m:]
				if en == 1 {
					k = string(s)
				} else if en == 2 {
					v = string(s)
				}
			}
			if params == nil {
				params = map[string]string{}
			}
			params[k] = v
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return params
		}
		b = b[n:]
	}
	return params
}
