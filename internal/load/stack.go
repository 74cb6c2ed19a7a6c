package load

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is a process of the stack that the tool started.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	done chan struct{}
	peak int64 // last VmHWM read, kept for after the process exits
}

// StartProc starts bin with args and extra environment, its output appended to logPath.
func StartProc(name, bin string, args []string, env map[string]string, logPath string) (*Proc, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// PeakRSS is the process's peak resident memory (VmHWM) in bytes, the last
// value read if it has exited.
func (p *Proc) PeakRSS() int64 {
	if v, err := readStatus(p.Cmd.Process.Pid, "VmHWM"); err == nil {
		p.peak = max(p.peak, v)
	}
	return p.peak
}

// RSS is the process's resident memory (VmRSS) in bytes now, 0 once it has exited.
func (p *Proc) RSS() int64 {
	v, _ := readStatus(p.Cmd.Process.Pid, "VmRSS")
	return v
}

// Stop interrupts the process (Ctrl-C) and waits up to grace before killing it.
func (p *Proc) Stop(grace time.Duration) {
	p.PeakRSS()
	_ = p.Cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	p.PeakRSS()
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// Done is closed once the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// readStatus reads a memory figure (VmHWM, VmRSS) of pid from /proc.
func readStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := StatusLine(sc.Text(), field); ok {
			return v, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// StatusLine parses a "VmHWM:   123456 kB" line of /proc/<pid>/status into
// bytes, if the line is field's.
func StatusLine(line, field string) (int64, bool) {
	rest, ok := strings.CutPrefix(line, field+":")
	if !ok {
		return 0, false
	}
	fields := strings.Fields(rest)
	if len(fields) != 2 || fields[1] != "kB" {
		return 0, false
	}
	kb, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, false
	}
	return kb << 10, true
}

// WaitReady polls url (a /readyz) until it answers 200, p exits, or timeout passes.
func WaitReady(ctx context.Context, url string, p *Proc, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited before %s answered (see its log)", p.Name, url)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s", url, timeout)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
