package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports how far a run through many objects is. On a terminal it keeps one line,
// redrawn in place (carriage return, erase line): a bar, objects done of total, bytes, rate
// and ETA, with failures printed above it. Elsewhere (a pipe, a file) it writes one plain line
// per object, with no control characters, so that logs and scripts read it as they would any
// output. It is safe for concurrent use.
type progress struct {
	w     io.Writer
	tty   bool
	width int

	mu         sync.Mutex
	now        func() time.Time
	start      time.Time
	lastDraw   time.Time
	total      int
	totalBytes int64
	done       int
	bytes      int64
	failed     int
	drawn      bool
}

// redrawEvery limits how often the terminal line is redrawn.
const redrawEvery = 100 * time.Millisecond

// newProgress returns a progress for total objects of totalBytes bytes written to w, drawn as a
// bar when w is a terminal.
func newProgress(w io.Writer, total int, totalBytes int64) *progress {
	p := &progress{w: w, total: total, totalBytes: totalBytes, now: time.Now, width: 80}
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if wd, _, err := term.GetSize(int(f.Fd())); err == nil && wd >= 40 {
			p.width = wd
		}
	}
	p.start = p.now()
	if p.tty && total > 0 {
		p.redraw(true)
	}
	return p
}

// object records a finished object: its size counts toward the bytes when it was sent.
func (p *progress) object(url string, size int64, status string, records int64, errText string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if status == statusSent {
		p.bytes += size
	} else {
		p.totalBytes -= size // not read: out of the ETA's reckoning
	}
	if status == statusFailed {
		p.failed++
	}
	if !p.tty {
		line := fmt.Sprintf("[%d/%d] %s %s: %s", p.done, p.total, url, byteSize(size), status)
		if status == statusSent && records > 0 {
			line += fmt.Sprintf(", %s", plural(int(records), "record", "records"))
		}
		if errText != "" {
			line += ": " + errText
		}
		fmt.Fprintln(p.w, plainText(line)+" ("+p.rateETA()+")")
		return
	}
	if status == statusFailed {
		fmt.Fprintf(p.w, "\r\x1b[K%s\n", plainText(fmt.Sprintf("FAILED %s: %s", url, errText)))
		p.drawn = false
	}
	p.redraw(p.done == p.total)
}

// finish draws the final state and ends the terminal line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty || p.total == 0 {
		return
	}
	p.redraw(true)
	fmt.Fprintln(p.w)
}

// redraw draws the terminal line, at most every redrawEvery unless force.
func (p *progress) redraw(force bool) {
	now := p.now()
	if !force && p.drawn && now.Sub(p.lastDraw) < redrawEvery {
		return
	}
	p.lastDraw, p.drawn = now, true
	stats := fmt.Sprintf(" %d/%d objects  %s/%s  %s", p.done, p.total, byteSize(p.bytes), byteSize(max(p.totalBytes, p.bytes)), p.rateETA())
	if p.failed > 0 {
		stats += fmt.Sprintf("  %d failed", p.failed)
	}
	barWidth := min(40, p.width/3) // fixed, so that the bar does not jump as the figures change
	filled := barWidth * p.done / max(1, p.total)
	line := "[" + strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled) + "]" + stats
	if len(line) > p.width-1 {
		line = line[:p.width-1]
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

// rateETA formats the byte rate so far and the time left at that rate.
func (p *progress) rateETA() string {
	elapsed := p.now().Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.bytes) / elapsed
	}
	eta := "ETA -"
	switch left := p.totalBytes - p.bytes; {
	case p.done >= p.total:
		eta = fmt.Sprintf("done in %s", (time.Duration(elapsed * float64(time.Second))).Round(100*time.Millisecond))
	case rate > 0 && left > 0:
		eta = "ETA " + (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second).String()
	case p.done > 0:
		per := elapsed / float64(p.done)
		eta = "ETA " + (time.Duration(per * float64(p.total-p.done) * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("%.2f MB/s  %s", rate/1e6, eta)
}

// plainText replaces control characters (an object key or an error may hold any) with '?', so
// that a line never moves the cursor or changes the terminal.
func plainText(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '?'
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
