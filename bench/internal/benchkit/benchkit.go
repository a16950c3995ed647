// Package benchkit holds the helpers the load drivers under bench/ share: percentiles, millisecond
// formatting, /proc readings, and starting a child server that prints its URL.
//
// The drivers do not agree on one percentile definition, and the figures in docs/benchmarks.md
// were produced with each driver's own; so each definition in use has a function of its own, named
// for what it picks, and a driver keeps the one it always used. They are not interchangeable: for
// p = .5 and an even n, NearestRank and InterpLower take the lower middle value, RankAbove the
// upper one.
package benchkit

import (
	"bufio"
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NearestRank is the nearest-rank percentile of sorted (p from 0 to 1): the ⌈n·p⌉-th smallest
// value, the smallest with at least a fraction p of the sample at or below it. p = 0 gives the
// minimum; an empty sample gives the zero value.
func NearestRank[T cmp.Ordered](sorted []T, p float64) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	return sorted[max(0, min(len(sorted)-1, int(math.Ceil(float64(len(sorted))*p))-1))]
}

// RankAbove is sorted[⌊n·p⌋] (p from 0 to 1, clamped to the last value): the smallest value with
// more than a fraction p of the sample at or below it. For p = .5 it is the upper median. It
// differs from NearestRank only where n·p is a whole number, where it takes the next value up.
func RankAbove[T cmp.Ordered](sorted []T, p float64) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// InterpLower is sorted[⌊(n−1)·p⌋] (p from 0 to 1): the lower of the two values between which a
// linearly interpolated percentile would fall, without interpolating (numpy's method "lower").
func InterpLower[T cmp.Ordered](sorted []T, p float64) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	return sorted[int(float64(len(sorted)-1)*p)]
}

// UpperMedian sorts a copy of v and returns its middle value (for an even count the upper of the
// two middle values, not their mean), its minimum and its maximum; zeros for an empty v.
func UpperMedian[T cmp.Ordered](v []T) (med, lo, hi T) {
	if len(v) == 0 {
		return med, lo, hi
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2], s[0], s[len(s)-1]
}

// Millis is d in milliseconds, to the microsecond.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Ms writes d as "12.3 ms".
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", Millis(d)) }

// ModuleRoot is the directory of the go.mod that `go env GOMOD` names for the working directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the lantoa module")
	}
	return filepath.Dir(gomod), nil
}

// LoadAvg is the first three fields of /proc/loadavg, or "" where it cannot be read; each driver
// says "unreadable" in its own words.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// ProcStatus reads the kB fields of /proc/PID/status (VmRSS, VmHWM, …), in bytes. A status
// without VmRSS (a process already gone, or a zombie) is an error.
func ProcStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 2 && fields[1] == "kB" {
			if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
				m[k] = n * 1024
			}
		}
	}
	if _, ok := m["VmRSS"]; !ok {
		return nil, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return m, sc.Err()
}

// ProcKiB is one kB field of /proc/PID/status in KiB, 0 where it cannot be read: the drivers that
// use it print the figure and carry on rather than fail a long run over it.
func ProcKiB(pid int, field string) int64 {
	st, err := ProcStatus(pid)
	if err != nil {
		return 0
	}
	return st[field] / 1024
}

// UUID is a random (version 4) UUID in its 8-4-4-4-12 hexadecimal form.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// WithSearchPath is the PostgreSQL URL base with its search_path set to schema, so that a run
// works in a schema of its own within a shared database.
func WithSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ServeCmd is `lantoa serve` on a port of the kernel's choosing on 127.0.0.1, logging errors
// only. Its environment is PATH and HOME=home alone, so that LANTOA_* settings of the shell that
// runs the bench do not change what is measured.
func ServeCmd(bin, dbArg, home string) *exec.Cmd {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dbArg, "--log-level", "error")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	return cmd
}

// StartChild starts cmd and waits (60 s at most, then kills it) for a line on its stdout that
// holds "http://127.0.0.1:PORT", which it returns; the child's stderr goes to ours. Reading the
// address the child printed, rather than choosing a port for it, leaves no window in which
// another process could take the port.
func StartChild(cmd *exec.Cmd) (string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		// Keeps draining stdout after the address so that the child never blocks on a full pipe.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "http://127.0.0.1:"); i >= 0 {
				select {
				case found <- strings.Fields(sc.Text()[i:])[0]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-found:
		return u, nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return "", errors.New("server did not start")
	}
}

// Stop sends sig to a child started with StartChild and waits for it to exit; after grace it
// kills it and waits again.
func Stop(cmd *exec.Cmd, sig os.Signal, grace time.Duration) {
	_ = cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// EnsureProvinceAdmin creates a province administrator with the lantoa CLI on dbArg (a SQLite
// file or a PostgreSQL URL), running in dir when it is not empty. An account of that name that is
// already there — a PostgreSQL database kept from an earlier run — is taken as it is.
func EnsureProvinceAdmin(bin, dbArg, dir, username, password string) error {
	cmd := exec.Command(bin, "user", "create", "--db", dbArg, "--username", username,
		"--role", "province_admin", "--unit", "51", "--password-stdin")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), username) {
		return fmt.Errorf("lantoa user create: %v\n%s", err, out)
	}
	return nil
}
