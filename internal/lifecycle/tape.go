package lifecycle

import (
	"io"
	"sync"
)

// tape records what a step writes to stdout and stderr, in order, so that
// steps run in parallel can be shown one after the other exactly as a
// serial run would have shown them.
type tape struct {
	mu     sync.Mutex
	chunks []chunk
}

type chunk struct {
	stderr bool
	data   []byte
}

// writers returns the stdout and stderr that record onto the tape.
func (t *tape) writers() (io.Writer, io.Writer) {
	return tapeWriter{t, false}, tapeWriter{t, true}
}

// replay writes the recording to the real streams.
func (t *tape) replay(out, errw io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.chunks {
		if c.stderr {
			errw.Write(c.data)
		} else {
			out.Write(c.data)
		}
	}
	t.chunks = nil
}

type tapeWriter struct {
	t      *tape
	stderr bool
}

func (w tapeWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	w.t.chunks = append(w.t.chunks, chunk{w.stderr, append([]byte(nil), p...)})
	return len(p), nil
}
