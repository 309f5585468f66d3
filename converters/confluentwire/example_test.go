package confluentwire_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/confluentwire"
)

func Example() {
	frame := confluentwire.Encode(nil, 42)
	frame = confluentwire.AppendIndexes(frame, []int{1, 0}) // Protobuf only
	frame = append(frame, "payload"...)

	id, rest, err := confluentwire.Decode(frame)
	if err != nil {
		panic(err)
	}
	indexes, payload, err := confluentwire.ReadIndexes(rest)
	if err != nil {
		panic(err)
	}
	fmt.Printf("id %d, indexes %v, payload %q\n", id, indexes, payload)
	// Output: id 42, indexes [1 0], payload "payload"
}
