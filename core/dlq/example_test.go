package dlq_test

import (
	"context"
	"fmt"

	"github.com/lambda-connect/lambda-connect/core/dlq"
	"github.com/lambda-connect/lambda-connect/core/record"
)

// printer is a custom destination: it prints each letter's coordinates and reason.
type printer struct{ prefix string }

func (p printer) Send(_ context.Context, letters []dlq.Letter) error {
	for _, l := range letters {
		fmt.Printf("%s %s at %s: %v\n", p.prefix, l.Record.Coordinates(), l.Stage, l.Err)
	}
	return nil
}

// Adding a dead-letter destination: a Destination, a Factory that builds it from the settings
// (or returns nil when they do not ask for it), and one Register call.
func ExampleRegistry_Register() {
	r := dlq.Builtins(dlq.BuiltinDeps{})
	err := r.Register("stdout", func(_ context.Context, settings map[string]string) (dlq.Destination, error) {
		prefix, ok := settings["errors.deadletterqueue.stdout.prefix"]
		if !ok {
			return nil, nil
		}
		return printer{prefix: prefix}, nil
	})
	if err != nil {
		panic(err)
	}
	d, err := r.Build(context.Background(), map[string]string{"errors.deadletterqueue.stdout.prefix": "DLQ"})
	if err != nil {
		panic(err)
	}
	l := dlq.Letter{Record: record.Record{Topic: "orders", Partition: 2, Offset: 41}, Stage: dlq.StageValueConverter,
		Err: fmt.Errorf("invalid JSON")}
	if err := d.Send(context.Background(), []dlq.Letter{l}); err != nil {
		panic(err)
	}
	fmt.Println(r.Names())
	// Output:
	// DLQ orders/2/41 at VALUE_CONVERTER: invalid JSON
	// [kafka s3 stdout]
}
