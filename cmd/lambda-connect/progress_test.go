package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestProgressPlain checks the lines written when the output is not a terminal: one per object,
// with the count, status, rate and ETA, and no control character even when a key holds one.
func TestProgressPlain(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := newProgress(&out, 3, 6_000_000)
	p.now, p.start = clk.now, clk.t
	clk.t = clk.t.Add(time.Second)
	p.object("s3://b/a.jsonl", 2_000_000, statusSent, 10, "")
	clk.t = clk.t.Add(time.Second)
	p.object("s3://b/evil\r\x1b[2Jkey", 2_000_000, statusFailed, 0, "bad\nerror")
	clk.t = clk.t.Add(time.Second)
	p.object("s3://b/c.jsonl", 2_000_000, statusSkipped, 0, "")
	p.finish()
	want := []string{
		"[1/3] s3://b/a.jsonl 2.0 MB: sent, 10 records (2.00 MB/s  ETA 2s)",
		"[2/3] s3://b/evil??[2Jkey 2.0 MB: failed: bad?error (1.00 MB/s  ETA 2s)",
		"[3/3] s3://b/c.jsonl 2.0 MB: skipped (0.67 MB/s  done in 3s)",
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Errorf("control characters in %q", out.String())
	}
}

// TestProgressTerminalLine checks the redrawn line's layout with a known width.
func TestProgressTerminalLine(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := &progress{w: &out, tty: true, width: 80, total: 4, totalBytes: 4_000_000, now: clk.now, start: clk.t}
	clk.t = clk.t.Add(2 * time.Second)
	p.object("s3://b/1", 1_000_000, statusSent, 5, "")
	p.object("s3://b/2", 1_000_000, statusFailed, 0, "boom")
	clk.t = clk.t.Add(10 * time.Millisecond) // within redrawEvery: not redrawn
	p.object("s3://b/3", 1_000_000, statusSent, 5, "")
	lines := strings.Split(out.String(), "\r\x1b[K")
	want := []string{
		"",
		"[======                    ] 1/4 objects  1.0 MB/4.0 MB  0.50 MB/s  ETA 6s",
		"FAILED s3://b/2: boom\n",
		"[=============             ] 2/4 objects  1.0 MB/3.0 MB  0.50 MB/s  ETA 4s  1 f", // cut at the terminal's width less one
	}
	if len(lines) != len(want) {
		t.Fatalf("%d draws, want %d: %q", len(lines), len(want), out.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("draw %d: %q, want %q", i, lines[i], want[i])
		}
	}
	p.finish()
	if want := "\r\x1b[K[===================       ] 3/4 objects  2.0 MB/3.0 MB  1.00 MB/s  ETA 1s  1 f\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("finish: %q, want it to end with %q", out.String(), want)
	}
}

// TestBackfillProgressTerminal runs backfill with a pseudo-terminal as its output: the progress
// is one line redrawn in place, ending with the final state, then the summary.
func TestBackfillProgressTerminal(t *testing.T) {
	st := newBFStack(t)
	for i := range 4 {
		st.put(t, fmt.Sprintf("tty/%d.jsonl", i), 50)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	read := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptmx) // ends with EIO once tty is closed
		read <- b.String()
	}()
	var errOut bytes.Buffer
	environ := st.environ()
	e := &env{stdout: tty, stderr: &errOut, getenv: func(string) string { return "" }, environ: func() []string { return environ }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, e, []string{"backfill", "s3://" + st.bucket + "/tty/", "--concurrency", "1"})
	tty.Close()
	out := <-read
	if code != exitOK {
		t.Fatalf("exit %d\n%q\n%s", code, out, errOut.String())
	}
	redraws := strings.Count(out, "\r\x1b[K")
	if redraws < 2 {
		t.Errorf("%d redraws, want the line drawn at start and redrawn: %q", redraws, out)
	}
	if strings.Contains(out, "[1/4]") {
		t.Errorf("plain progress lines on a terminal: %q", out)
	}
	last := out[strings.LastIndex(out, "\r\x1b[K")+len("\r\x1b[K"):]
	final, summary, _ := strings.Cut(last, "\n")
	if !regexp.MustCompile(`^\[=+\] 4/4 objects  [0-9.]+ kB/[0-9.]+ kB  [0-9.]+ MB/s  done in [0-9.]+m?s\r?$`).MatchString(final) {
		t.Errorf("final line %q", final)
	}
	if len(final) > 100 {
		t.Errorf("final line is %d columns wide, the terminal 100", len(final))
	}
	if !strings.Contains(summary, "4 sent, 0 skipped") {
		t.Errorf("summary after the bar: %q", summary)
	}
}

// FuzzPlainText: the text a line is made of never holds a control character, and text without
// one is left as it is.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"s3://b/k", "a\rb\x1b[2J", "\u0085\u009b31m", "é\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := plainText(s)
		if strings.IndexFunc(out, isControl) >= 0 {
			t.Fatalf("%q -> %q holds a control character", s, out)
		}
		if strings.IndexFunc(s, isControl) < 0 && out != s {
			t.Fatalf("%q changed to %q", s, out)
		}
	})
}
