package sinktest

import (
	"log/slog"
	"testing"
)

type tLogWriter struct{ t *testing.T }

func (w tLogWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(string(p))
	}
	return len(p), nil
}

func quietLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewJSONHandler(tLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
