package benchkit

import (
	"os"
	"regexp"
	"testing"
	"time"
)

func TestPercentileEdges(t *testing.T) {
	if NearestRank([]time.Duration(nil), .5) != 0 || RankAbove([]float64{}, .99) != 0 || InterpLower([]int(nil), 1) != 0 {
		t.Error("an empty sample must give the zero value")
	}
	for _, p := range []float64{0, .5, .99, 1} {
		if NearestRank([]int{7}, p) != 7 || RankAbove([]int{7}, p) != 7 || InterpLower([]int{7}, p) != 7 {
			t.Errorf("one value, p=%v: want that value", p)
		}
	}
	// 1..100: the p-th percentile by nearest rank is p itself.
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	// 1..4: the three definitions part at p = .5.
	four := []int{1, 2, 3, 4}
	for _, c := range []struct {
		name string
		f    func([]int, float64) int
		s    []int
		p    float64
		want int
	}{
		{"NearestRank", NearestRank[int], hundred, 0, 1},
		{"NearestRank", NearestRank[int], hundred, .5, 50},
		{"NearestRank", NearestRank[int], hundred, .99, 99},
		{"NearestRank", NearestRank[int], hundred, 1, 100},
		{"NearestRank", NearestRank[int], four, .5, 2},
		{"RankAbove", RankAbove[int], hundred, 0, 1},
		{"RankAbove", RankAbove[int], hundred, .5, 51},
		{"RankAbove", RankAbove[int], hundred, .99, 100},
		{"RankAbove", RankAbove[int], hundred, 1, 100},
		{"RankAbove", RankAbove[int], four, .5, 3},
		{"InterpLower", InterpLower[int], hundred, 0, 1},
		{"InterpLower", InterpLower[int], hundred, .5, 50},
		{"InterpLower", InterpLower[int], hundred, .99, 99},
		{"InterpLower", InterpLower[int], hundred, 1, 100},
		{"InterpLower", InterpLower[int], four, .5, 2},
	} {
		if got := c.f(c.s, c.p); got != c.want {
			t.Errorf("%s(n=%d, p=%v) = %d, want %d", c.name, len(c.s), c.p, got, c.want)
		}
	}
}

func TestUpperMedian(t *testing.T) {
	v := []float64{5, 1, 3}
	if m, lo, hi := UpperMedian(v); m != 3 || lo != 1 || hi != 5 {
		t.Errorf("odd: %v %v %v", m, lo, hi)
	}
	if v[0] != 5 {
		t.Error("UpperMedian sorted its argument")
	}
	if m, lo, hi := UpperMedian([]time.Duration{4, 1, 3, 2}); m != 3 || lo != 1 || hi != 4 {
		t.Errorf("even: %v %v %v, want the upper middle 3", m, lo, hi)
	}
	if m, lo, hi := UpperMedian[float64](nil); m != 0 || lo != 0 || hi != 0 {
		t.Error("empty: want zeros")
	}
}

func TestMillis(t *testing.T) {
	if got := Millis(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("Millis = %v", got)
	}
	for d, want := range map[time.Duration]string{
		0:                         "0.0 ms",
		1234567 * time.Nanosecond: "1.2 ms",
		1250 * time.Microsecond:   "1.2 ms", // an exact half rounds to even
		2 * time.Second:           "2000.0 ms",
	} {
		if got := Ms(d); got != want {
			t.Errorf("Ms(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestProcStatus(t *testing.T) {
	st, err := ProcStatus(os.Getpid())
	if err != nil {
		t.Skip("no /proc here:", err)
	}
	if st["VmRSS"] <= 0 || st["VmRSS"]%1024 != 0 {
		t.Errorf("VmRSS = %d bytes, want a positive multiple of 1024", st["VmRSS"])
	}
	if st["VmHWM"] < st["VmRSS"] {
		t.Errorf("VmHWM %d < VmRSS %d", st["VmHWM"], st["VmRSS"])
	}
	if kib := ProcKiB(os.Getpid(), "VmRSS"); kib <= 0 {
		t.Errorf("ProcKiB(VmRSS) = %d", kib)
	}
	if ProcKiB(os.Getpid(), "NoSuchField") != 0 || ProcKiB(-1, "VmRSS") != 0 {
		t.Error("an unreadable field must give 0")
	}
	if _, err := ProcStatus(-1); err == nil {
		t.Error("ProcStatus(-1) must fail")
	}
}

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		u := UUID()
		if !re.MatchString(u) {
			t.Fatalf("%q is not a version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("%q twice", u)
		}
		seen[u] = true
	}
}

func TestWithSearchPath(t *testing.T) {
	for base, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable":      "postgres://postgres@127.0.0.1:5432/test?search_path=bench_x&sslmode=disable",
		"postgres://127.0.0.1/test":                                    "postgres://127.0.0.1/test?search_path=bench_x",
		"postgres://127.0.0.1/test?search_path=public&sslmode=disable": "postgres://127.0.0.1/test?search_path=bench_x&sslmode=disable",
	} {
		if got, err := WithSearchPath(base, "bench_x"); err != nil || got != want {
			t.Errorf("WithSearchPath(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
}
