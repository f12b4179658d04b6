package lifecycle

import (
	"reflect"
	"strings"
	"testing"
)

// q parses "name:dep,dep" into a queued module of version 1.
func q(spec string) queued {
	name, deps, _ := strings.Cut(spec, ":")
	e := queued{module: name, version: "1"}
	if deps != "" {
		e.deps = strings.Split(deps, ",")
	}
	return e
}

func qs(specs ...string) []queued {
	var out []queued
	for _, s := range specs {
		out = append(out, q(s))
	}
	return out
}

func TestNextRound(t *testing.T) {
	tests := []struct {
		name         string
		queue        []queued
		done         []string
		ready, await []queued
	}{
		{name: "no dependencies: all ready, queue order", queue: qs("b", "a"), ready: qs("b", "a")},
		{name: "a dependency done", queue: qs("a:x", "b:y"), done: []string{"x"}, ready: qs("a"), await: qs("b:y")},
		{name: "waiting keeps only what is not done", queue: qs("a:x,y,z"), done: []string{"y"}, await: qs("a:x,z")},
		{name: "a dependency in the same round waits", queue: qs("base", "top:base"), ready: qs("base"), await: qs("top:base")},
		{name: "nothing ready", queue: qs("a:b", "b:a"), await: qs("a:b", "b:a")},
		{name: "empty", queue: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := map[string]bool{}
			for _, d := range tt.done {
				done[d] = true
			}
			ready, await := nextRound(tt.queue, done)
			if !reflect.DeepEqual(ready, tt.ready) || !reflect.DeepEqual(await, tt.await) {
				t.Errorf("nextRound = %v, %v; want %v, %v", ready, await, tt.ready, tt.await)
			}
		})
	}
}

// TestRounds plays the rounds autoRounds runs: a module counts as done
// once installed; a failed one holds back what depends on it.
func TestRounds(t *testing.T) {
	queue := qs("c:b", "b:a", "a", "d", "e:f")
	failing := map[string]bool{"d": true}
	done := map[string]bool{}
	var rounds [][]string
	for len(queue) > 0 {
		ready, await := nextRound(queue, done)
		if len(ready) == 0 {
			break
		}
		var names []string
		for _, e := range ready {
			names = append(names, e.module)
			if !failing[e.module] {
				done[e.module] = true
			}
		}
		rounds = append(rounds, names)
		queue = await
	}
	want := [][]string{{"a", "d"}, {"b"}, {"c"}}
	if !reflect.DeepEqual(rounds, want) {
		t.Errorf("rounds = %v, want %v", rounds, want)
	}
	if len(queue) != 1 || queue[0].module != "e" {
		t.Errorf("left = %v, want e (its dependency f is never installed)", queue)
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		builds, jobs     int
		workers, perMake int
	}{
		{builds: 0, jobs: 4, workers: 0, perMake: 0},
		{builds: 1, jobs: 4, workers: 1, perMake: 4},
		{builds: 2, jobs: 4, workers: 2, perMake: 2},
		{builds: 3, jobs: 4, workers: 3, perMake: 1},
		{builds: 8, jobs: 4, workers: 4, perMake: 1},
		{builds: 2, jobs: 5, workers: 2, perMake: 2},
		{builds: 3, jobs: 1, workers: 1, perMake: 1},
		{builds: 3, jobs: 0, workers: 1, perMake: 1}, // make's unlimited -j: one build at a time
	}
	for _, tt := range tests {
		w, j := budget(tt.builds, tt.jobs)
		if w != tt.workers || j != tt.perMake {
			t.Errorf("budget(%d, %d) = %d, %d; want %d, %d", tt.builds, tt.jobs, w, j, tt.workers, tt.perMake)
		}
	}
}

// TestSettle classifies what no round could start (dkms 3.4.1): waiting
// for a known module fails, waiting only for unknown ones is deferred;
// queue order is kept and each keeps the dependencies its line names.
func TestSettle(t *testing.T) {
	deferred := func(e queued) queued { e.deferred = true; return e }
	tests := []struct {
		name  string
		left  []queued
		known []string
		want  []queued
	}{
		{name: "unknown dependencies only: deferred", left: qs("a:x,y"), known: []string{"a"}, want: []queued{deferred(q("a:x,y"))}},
		{name: "a known dependency: failed, listing only known ones", left: qs("a:x,b,y,c"), known: []string{"a", "b", "c"}, want: qs("a:b,c")},
		{name: "a dependant of a deferred module waits for a known one", left: qs("a:x", "top:a"), known: []string{"a", "top"},
			want: []queued{deferred(q("a:x")), q("top:a")}},
		{name: "a cycle of known modules fails", left: qs("a:b", "b:a"), known: []string{"a", "b"}, want: qs("a:b", "b:a")},
		{name: "queue order is kept", left: qs("z:x", "m:a", "b:y"), known: []string{"a"},
			want: []queued{deferred(q("z:x")), q("m:a"), deferred(q("b:y"))}},
		{name: "nothing left", left: nil, want: []queued{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := map[string]bool{}
			for _, k := range tt.known {
				known[k] = true
			}
			if got := settle(tt.left, known); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settle = %+v, want %+v", got, tt.want)
			}
		})
	}
}
