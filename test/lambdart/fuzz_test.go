package lambdart_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/lambda-connect/lambda-connect/test/lambdart"
)

// FuzzPayloadRoundTrip checks that any event reaches the runtime byte for byte, and that any
// response or error body the runtime posts comes back to Invoke byte for byte.
func FuzzPayloadRoundTrip(f *testing.F) {
	f.Add([]byte(`{"records":{}}`), false)
	f.Add([]byte{}, true)
	f.Add([]byte("\x00\xff not json \r\n"), true)
	srv := lambdart.New()
	f.Cleanup(srv.Close)
	base := "http://" + srv.Addr() + "/2018-06-01/runtime/invocation/"
	f.Fuzz(func(t *testing.T, payload []byte, asError bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		runtimeErr := make(chan string, 1)
		go func() {
			resp, err := http.Get(base + "next")
			if err != nil {
				runtimeErr <- err.Error()
				return
			}
			event, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(event, payload) {
				runtimeErr <- "the runtime received other bytes than the event"
			}
			path := "/response"
			if asError {
				path = "/error"
			}
			out, err := http.Post(base+resp.Header.Get(lambdart.HeaderRequestID)+path, "application/octet-stream", bytes.NewReader(event))
			if err != nil {
				runtimeErr <- err.Error()
				return
			}
			out.Body.Close()
			if out.StatusCode != http.StatusAccepted {
				runtimeErr <- "post: " + out.Status
			}
			close(runtimeErr)
		}()
		res, err := srv.Invoke(ctx, payload, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if msg, ok := <-runtimeErr; ok {
			t.Fatal(msg)
		}
		if asError {
			if res.Error == nil || !bytes.Equal(res.Error.Body, payload) || res.Response != nil {
				t.Fatalf("error post of %q came back as %+v", payload, res)
			}
			return
		}
		if res.Error != nil || !bytes.Equal(res.Response, payload) {
			t.Fatalf("response %q came back as %+v", payload, res)
		}
	})
}
