package load

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Script drives order i through its lifecycle; an error fails that order.
type Script func(ctx context.Context, i int) error

// RunAll runs script for i in [0, n) with at most concurrency at a time,
// drawing a progress bar on progress (nil for none). It returns how many
// scripts failed and the first few failure messages.
func RunAll(ctx context.Context, n, concurrency int, script Script, progress io.Writer) (failed int, samples []string) {
	var done, bad atomic.Int64
	var mu sync.Mutex
	stop := make(chan struct{})
	barDone := make(chan struct{})
	go func() {
		defer close(barDone)
		drawUntil(progress, n, &done, &bad, stop)
	}()

	next := make(chan int)
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := script(ctx, i); err != nil {
					bad.Add(1)
					mu.Lock()
					if len(samples) < 5 {
						samples = append(samples, err.Error())
					}
					mu.Unlock()
				}
				done.Add(1)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(stop)
	<-barDone
	return int(bad.Load()) + n - int(done.Load()), samples
}

func drawUntil(w io.Writer, total int, done, bad *atomic.Int64, stop <-chan struct{}) {
	if w == nil {
		return
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		fmt.Fprint(w, "\r"+Bar(int(done.Load()), total, int(bad.Load()), 30))
		select {
		case <-stop:
			fmt.Fprintln(w, "\r"+Bar(int(done.Load()), total, int(bad.Load()), 30))
			return
		case <-tick.C:
		}
	}
}

// Bar is a text progress bar: "[#####.....]  50/100 orders, 2 failed".
func Bar(done, total, failed, width int) string {
	filled := 0
	if total > 0 {
		filled = min(done*width/total, width)
	}
	return fmt.Sprintf("[%s%s] %*d/%d orders, %d failed",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), len(fmt.Sprint(total)), done, total, failed)
}
