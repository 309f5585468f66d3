package interop_test

import (
	"context"
	"fmt"

	"github.com/lambda-connect/lambda-connect/test/interop"
)

// Install the npm packages into the shared cache (once) and run node scripts from there.
func ExampleConfig_Install() {
	dir, err := interop.Config{}.Install(context.Background())
	if err != nil {
		fmt.Println("npm:", err)
		return
	}
	fmt.Println("node_modules in", dir)
}
