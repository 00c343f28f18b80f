package bench

import (
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where and when a benchmark ran, for its report.
type Machine struct {
	Date       time.Time
	CPU        string // the model name in /proc/cpuinfo
	Cores      int
	GOMAXPROCS int
	Load       string // the 1, 5 and 15 minute load averages
	Go         string
}

// ThisMachine describes the running machine now; what the system does not
// say is "unknown".
func ThisMachine() Machine {
	m := Machine{Date: time.Now().UTC(), CPU: "unknown CPU", Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Load: "unknown", Go: runtime.Version()}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(raw)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m
}
