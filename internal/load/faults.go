package load

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// FaultKind is one kind of failure a fault run injects.
type FaultKind string

const (
	KillWorker      FaultKind = "worker SIGKILL"
	MailBurst429    FaultKind = "SendGrid 429 burst"
	MailBurst500    FaultKind = "SendGrid 500 burst"
	RestartPostgres FaultKind = "Postgres restart"
)

// Schedule is the order of a run's faults: worker kills alternating with
// mail bursts (429 and 500 in turn), the Postgres restart (if any) in the
// middle, where the load is surely running.
func Schedule(kills, bursts int, restartPostgres bool) []FaultKind {
	var out []FaultKind
	for i := 0; i < max(kills, bursts); i++ {
		if i < kills {
			out = append(out, KillWorker)
		}
		if i < bursts {
			out = append(out, []FaultKind{MailBurst429, MailBurst500}[i%2])
		}
	}
	if restartPostgres {
		mid := len(out) / 2
		out = append(out[:mid], append([]FaultKind{RestartPostgres}, out[mid:]...)...)
	}
	return out
}

// Injector causes one fault; an error means it could not.
type Injector func(ctx context.Context) error

// FaultLog counts what was injected and what could not be.
type FaultLog struct {
	mu       sync.Mutex
	injected map[FaultKind]int
	skipped  []string
}

func (l *FaultLog) record(kind FaultKind, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.skipped = append(l.skipped, fmt.Sprintf("%s: %v", kind, err))
		return
	}
	if l.injected == nil {
		l.injected = map[FaultKind]int{}
	}
	l.injected[kind]++
}

// Injected counts the faults injected, by kind.
func (l *FaultLog) Injected() map[FaultKind]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[FaultKind]int, len(l.injected))
	for k, n := range l.injected {
		out[k] = n
	}
	return out
}

// Skipped lists the faults that could not be injected, with why.
func (l *FaultLog) Skipped() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.skipped...)
}

// Summary is one line: "worker SIGKILL 4, SendGrid 429 burst 2, ...".
func (l *FaultLog) Summary() string {
	inj := l.Injected()
	kinds := make([]string, 0, len(inj))
	for k := range inj {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, inj[FaultKind(k)]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// InjectFaults runs schedule, one fault every interval (the first after one
// interval), until the schedule ends, stop is closed or ctx ends. A kind
// without an injector is logged as skipped; faults never reached are not
// logged at all, so the log says what really happened.
func InjectFaults(ctx context.Context, schedule []FaultKind, interval time.Duration, inject map[FaultKind]Injector, stop <-chan struct{}, out io.Writer, log *FaultLog) {
	for _, kind := range schedule {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-time.After(interval):
		}
		in, ok := inject[kind]
		if !ok {
			log.record(kind, fmt.Errorf("no injector"))
			continue
		}
		err := in(ctx)
		log.record(kind, err)
		if err != nil {
			fmt.Fprintf(out, "\nfault %s NOT injected: %v\n", kind, err)
		} else {
			fmt.Fprintf(out, "\nfault injected: %s\n", kind)
		}
	}
}

// Paced spreads the starts of n scripts evenly over spread from now: script
// i starts no earlier than i·spread/n. A fault run needs orders in flight
// while its faults hit, not a burst that is over before the first one.
func Paced(script Script, n int, spread time.Duration) Script {
	start := time.Now()
	return func(ctx context.Context, i int) error {
		if n > 0 {
			at := start.Add(spread * time.Duration(i) / time.Duration(n))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Until(at)):
			}
		}
		return script(ctx, i)
	}
}
