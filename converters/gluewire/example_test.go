package gluewire_test

import (
	"fmt"

	"github.com/lambda-connect/lambda-connect/converters/gluewire"
)

func Example() {
	id, _ := gluewire.ParseUUID("b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11")
	frame, _ := gluewire.Encode(nil, id, []byte{0x02, 0x0a, 'h', 'e', 'l', 'l', 'o'}, false)
	fmt.Printf("% x\n", frame[:2])
	got, payload, _ := gluewire.Decode(frame)
	fmt.Println(gluewire.FormatUUID(got), len(payload))
	// Output:
	// 03 00
	// b7b4a7f0-9c96-4e4a-a687-8e4c1f9c2a11 7
}
