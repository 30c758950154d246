// Package report is the stdout line protocol shared by the interop programs.
//
// Stdout carries only "OK <name>", "FAIL <name>: <reason>" and one JSON object
// per line; the client's own log goes to stderr at level "error" (override with
// -loglevel).
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

var mu sync.Mutex

type field struct {
	key   string
	value interface{}
}

// Line is a JSON object whose keys keep the order they were set in.
type Line struct {
	fields []field
}

// Event starts a line {"event": name, ...}.
func Event(name string) *Line {
	return (&Line{}).Set("event", name)
}

// Set appends key (or replaces its value) and returns the line.
func (l *Line) Set(key string, value interface{}) *Line {
	for i := range l.fields {
		if l.fields[i].key == key {
			l.fields[i].value = value
			return l
		}
	}
	l.fields = append(l.fields, field{key, value})
	return l
}

// MarshalJSON writes the fields in order.
func (l *Line) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range l.fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Print prints one line to stdout, never interleaved with another goroutine's.
func Print(text string) {
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintln(os.Stdout, text)
}

// Emit prints the line as one JSON object.
func (l *Line) Emit() {
	data, err := json.Marshal(l)
	if err != nil {
		reason, _ := json.Marshal(err.Error())
		Print(`{"event":"error","reason":` + string(reason) + `}`)
		return
	}
	Print(string(data))
}

// OK prints "OK <name>".
func OK(name string) {
	Print("OK " + name)
}

// Fail prints "FAIL <name>: <reason>" on one line.
func Fail(name string, reason string) {
	Print("FAIL " + name + ": " + strings.ReplaceAll(reason, "\n", " "))
}

// QuietClientLog sends the client's log to stderr at the given level.
func QuietClientLog(level string) {
	rlog.SetLogLevel(level)
}
