package load

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestScheduleInterleavesFaultsWithThePostgresRestartInTheMiddle(t *testing.T) {
	got := Schedule(3, 2, true)
	want := []FaultKind{KillWorker, MailBurst429, RestartPostgres, KillWorker, MailBurst500, KillWorker}
	if !slices.Equal(got, want) {
		t.Fatalf("schedule = %v, want %v", got, want)
	}
	if got := Schedule(0, 0, false); len(got) != 0 {
		t.Fatalf("empty schedule = %v", got)
	}
}

func TestInjectFaultsLogsInjectedAndSkipped(t *testing.T) {
	calls := map[FaultKind]int{}
	inject := map[FaultKind]Injector{
		KillWorker:      func(context.Context) error { calls[KillWorker]++; return nil },
		RestartPostgres: func(context.Context) error { return errors.New("pg_ctlcluster not found") },
	}
	var log FaultLog
	InjectFaults(context.Background(), []FaultKind{KillWorker, RestartPostgres, KillWorker, MailBurst429}, time.Millisecond, inject, nil, io.Discard, &log)
	if calls[KillWorker] != 2 || log.Injected()[KillWorker] != 2 || len(log.Injected()) != 1 {
		t.Fatalf("calls = %v, injected = %v", calls, log.Injected())
	}
	skipped := strings.Join(log.Skipped(), "; ")
	if len(log.Skipped()) != 2 || !strings.Contains(skipped, "pg_ctlcluster not found") || !strings.Contains(skipped, string(MailBurst429)) {
		t.Fatalf("skipped = %v", log.Skipped())
	}
	if got := log.Summary(); got != "worker SIGKILL 2" {
		t.Fatalf("summary = %q", got)
	}
}

func TestInjectFaultsStopsWhenTold(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	var log FaultLog
	called := false
	InjectFaults(context.Background(), []FaultKind{KillWorker}, time.Hour, map[FaultKind]Injector{
		KillWorker: func(context.Context) error { called = true; return nil },
	}, stop, io.Discard, &log)
	if called || log.Summary() != "none" {
		t.Fatalf("injected after stop: called %v, log %q", called, log.Summary())
	}
}

func TestPacedStartsEachScriptNoEarlierThanItsSlot(t *testing.T) {
	spread := 200 * time.Millisecond
	started := map[int]time.Duration{}
	begin := time.Now()
	paced := Paced(func(_ context.Context, i int) error { started[i] = time.Since(begin); return nil }, 4, spread)
	for i := range 4 {
		if err := paced(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	for i, at := range started {
		if slot := spread * time.Duration(i) / 4; at < slot {
			t.Errorf("script %d started at %s, before its slot %s", i, at, slot)
		}
	}
	if len(started) != 4 {
		t.Fatalf("%d scripts ran, want 4", len(started))
	}
}

func TestPacedGivesUpWhenTheRunEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := Paced(func(context.Context, int) error { ran = true; return nil }, 2, time.Hour)(ctx, 1)
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err = %v, ran = %v", err, ran)
	}
}
