// Package localserver serves an http.Handler over plain HTTP on a local port, for the in-process
// servers of tests and local runs (s3local, sqslocal).
//
// Start listens and serves at once. A server whose handler needs its own URL (to build the URLs
// it answers with) calls Listen, sets itself up with URL, then calls Serve.
package localserver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultAddr is the address Listen and Start use when given none: a free port of 127.0.0.1.
const DefaultAddr = "127.0.0.1:0"

// Server is a listening, and once Serve is called serving, HTTP server.
type Server struct {
	url  string
	ln   net.Listener
	srv  *http.Server
	done chan error // Serve's result; nil until Serve is called
	once sync.Once
	err  error
}

// Listen listens on addr (DefaultAddr when empty). The server answers no request until Serve is
// called; Close releases the port either way.
func Listen(addr string) (*Server, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return &Server{url: "http://" + ln.Addr().String(), ln: ln}, nil
}

// Start listens on addr (DefaultAddr when empty) and serves h.
func Start(addr string, h http.Handler) (*Server, error) {
	s, err := Listen(addr)
	if err != nil {
		return nil, err
	}
	s.Serve(h)
	return s, nil
}

// Serve serves h in the background until Close. Call it at most once, and not concurrently with
// Close.
func (s *Server) Serve(h http.Handler) {
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan error, 1)
	go func() { s.done <- s.srv.Serve(s.ln) }()
}

// URL returns the server's endpoint, "http://<host>:<port>".
func (s *Server) URL() string { return s.url }

// Close stops the server, closing its connections at once, and returns the first error of closing
// or serving. It is safe to call more than once.
func (s *Server) Close() error {
	s.once.Do(func() {
		if s.done == nil {
			s.err = s.ln.Close()
			return
		}
		s.err = s.srv.Close()
		if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) && s.err == nil {
			s.err = err
		}
	})
	return s.err
}
