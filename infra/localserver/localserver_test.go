package localserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/infra/localserver"
)

func TestStartServesAndCloses(t *testing.T) {
	s, err := localserver.Start("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.URL.Path)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want http://127.0.0.1:<port>", s.URL())
	}
	resp, err := http.Get(s.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "hello /x" {
		t.Errorf("GET /x = %q, %v; want \"hello /x\"", body, err)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := http.Get(s.URL() + "/x"); err == nil {
		t.Error("GET after Close succeeded")
	}
}

func TestCloseWithoutServe(t *testing.T) {
	s, err := localserver.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The port is free again: listening on it succeeds.
	addr := strings.TrimPrefix(s.URL(), "http://")
	s2, err := localserver.Listen(addr)
	if err != nil {
		t.Fatalf("Listen(%s) after Close: %v", addr, err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestListenError(t *testing.T) {
	if _, err := localserver.Listen("256.0.0.1:0"); err == nil || !strings.HasPrefix(err.Error(), "listen: ") {
		t.Errorf("Listen(bad address) error = %v, want listen: ...", err)
	}
}
