// Command idle measures the memory of a first start of `lantoa serve`, plain and with --demo, each
// on a fresh SQLite database: RSS sampled every 50 ms over the first -first, then once the server
// has settled (-settle after the start). The peak of a plain first start (migrations, the first
// administrator's password hash) used to go unreported: only --demo was measured, after settling
// (issue 16).
//
//	go run ./bench/idle -runs 3 -first 10s -settle 60s
//
// Each server runs in a temporary folder of its own, on 127.0.0.1, logging errors only.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
)

type sample struct {
	peak, hwm, settled, atReady int64 // KiB
	ready                       time.Duration
}

func main() {
	runs := flag.Int("runs", 3, "first starts of each mode")
	first := flag.Duration("first", 10*time.Second, "sample RSS every 50 ms for this long after the start")
	settle := flag.Duration("settle", 60*time.Second, "read the settled RSS this long after the start")
	bin := flag.String("lantoa", "", "lantoa binary (default: CGO_ENABLED=0 go build ./cmd/lantoa)")
	flag.Parse()
	if err := run(*runs, *first, *settle, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(1)
	}
}

func run(runs int, first, settle time.Duration, bin string) error {
	tmp, err := os.MkdirTemp("", "lantoa-idle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "lantoa")
		build := exec.Command("go", "build", "-o", bin, "./cmd/lantoa")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	fmt.Printf("### Idle memory of a first start (load %s)\n\n", benchkit.LoadAvg())
	fmt.Printf("%d first starts per mode, each on a fresh SQLite database; RSS sampled every 50 ms for %s, settled RSS read %s after the start. Figures are medians (min–max), MiB.\n\n", runs, first, settle)
	fmt.Println("| mode | RSS when ready | peak RSS, first seconds (VmHWM) | settled RSS |")
	fmt.Println("| --- | ---: | ---: | ---: |")
	for _, mode := range []string{"serve", "serve --demo"} {
		var ready, peak, settled []float64
		for r := range runs {
			// Alternating which mode runs first would need both at once; they run one after the
			// other, so each run gets the machine to itself.
			s, err := once(bin, filepath.Join(tmp, fmt.Sprintf("%d-%d", len(mode), r)), mode == "serve --demo", first, settle)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "  %s run %d: ready in %s at %.1f MiB, peak %.1f (VmHWM %.1f), settled %.1f MiB (load %s)\n", mode, r+1,
				s.ready.Round(time.Millisecond), mib(s.atReady), mib(s.peak), mib(s.hwm), mib(s.settled), benchkit.LoadAvg())
			ready, peak, settled = append(ready, mib(s.atReady)), append(peak, mib(max(s.peak, s.hwm))), append(settled, mib(s.settled))
		}
		f := func(v []float64) string {
			m, lo, hi := benchkit.UpperMedian(v)
			return fmt.Sprintf("%.1f (%.1f–%.1f)", m, lo, hi)
		}
		fmt.Printf("| `lantoa %s` | %s | %s | %s |\n", mode, f(ready), f(peak), f(settled))
	}
	fmt.Println()
	return nil
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func once(bin, dir string, demo bool, first, settle time.Duration) (sample, error) {
	var s sample
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return s, err
	}
	cmd := benchkit.ServeCmd(bin, filepath.Join(dir, "lantoa.db"), dir)
	if demo {
		cmd.Args = append(cmd.Args, "--demo")
	}
	cmd.Dir = dir
	start := time.Now()
	if _, err := benchkit.StartChild(cmd); err != nil {
		return s, err
	}
	defer benchkit.Stop(cmd, syscall.SIGTERM, 10*time.Second)
	s.ready = time.Since(start)
	s.atReady = benchkit.ProcKiB(cmd.Process.Pid, "VmRSS")
	// Sampled from the moment the server is ready; VmHWM, read at the end of the first seconds,
	// covers the moments before (migrations, the first administrator's password hash).
	var peak int64
	t := time.NewTicker(50 * time.Millisecond)
	for time.Since(start) < first {
		if v := benchkit.ProcKiB(cmd.Process.Pid, "VmRSS"); v > peak {
			peak = v
		}
		<-t.C
	}
	t.Stop()
	s.hwm = benchkit.ProcKiB(cmd.Process.Pid, "VmHWM")
	s.peak = peak
	time.Sleep(time.Until(start.Add(settle)))
	// Settled: the median of five readings a second apart.
	var v []int64
	for range 5 {
		v = append(v, benchkit.ProcKiB(cmd.Process.Pid, "VmRSS"))
		time.Sleep(time.Second)
	}
	slices.Sort(v)
	s.settled = v[2]
	return s, nil
}
