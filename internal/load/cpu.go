package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The CPU time processes used, from /proc: where a run's time goes when
// everything shares one machine.

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// CPUTime is the CPU time (user and system) process pid has used so far, 0
// once it has exited.
func CPUTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	d, _ := StatCPU(string(b))
	return d
}

// StatCPU reads utime + stime from a /proc/<pid>/stat line.
func StatCPU(stat string) (time.Duration, bool) {
	// The command name is in parentheses and may hold spaces: fields count
	// from after its closing one (state is field 3, utime 14, stime 15).
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// CPUTimeOf is the CPU time every process named command (its comm) has used
// so far: Postgres' server processes, say.
func CPUTimeOf(command string) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var total time.Duration
	for _, dir := range dirs {
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != command {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(dir))
		total += CPUTime(pid)
	}
	return total
}
