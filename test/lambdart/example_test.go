package lambdart_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/test/lambdart"
)

// A function binary runs with AWS_LAMBDA_RUNTIME_API=srv.Addr(); here a goroutine speaking the
// Runtime API over HTTP plays the function.
func Example() {
	srv := lambdart.New()
	defer srv.Close()

	go func() {
		base := "http://" + srv.Addr() + "/2018-06-01/runtime/invocation/"
		resp, err := http.Get(base + "next")
		if err != nil {
			return
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		out, err := http.Post(base+id+"/response", "application/json", strings.NewReader(strings.ToUpper(string(event))))
		if err == nil {
			out.Body.Close()
		}
	}()

	res, err := srv.Invoke(context.Background(), []byte(`"hello"`), time.Second)
	fmt.Println(string(res.Response), res.Error, err)
	// Output: "HELLO" <nil> <nil>
}
