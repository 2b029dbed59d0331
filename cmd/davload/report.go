package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// results is the whole run, as printed and written to JSON.
type results struct {
	Server          string           `json:"server"`
	URL             string           `json:"url"`
	N               int              `json:"n"`
	M               int              `json:"m"`
	Seed            uint64           `json:"seed"`
	Started         time.Time        `json:"started"`
	Machine         map[string]any   `json:"machine"`
	GenerateSeconds float64          `json:"generate_seconds"`
	Upload          []uploadStats    `json:"upload"`
	Scenarios       []scenarioResult `json:"scenarios"`
	Wrong           int              `json:"wrong"`
	Failed          int              `json:"failed"`
	RSSMaxMB        float64          `json:"server_rss_max_mb,omitempty"`
	HWMMB           float64          `json:"server_vmhwm_mb,omitempty"`
}

// scenarioResult is one scenario at one concurrency level.
type scenarioResult struct {
	Name         string   `json:"name"`
	Concurrency  int      `json:"concurrency"`
	Ops          int      `json:"ops"`
	OK           int      `json:"ok"`
	Wrong        int      `json:"wrong"`
	Failed       int      `json:"failed"`
	Seconds      float64  `json:"seconds"`
	OpsPerSec    float64  `json:"ops_per_sec"`
	P50ms        float64  `json:"p50_ms"`
	P95ms        float64  `json:"p95_ms"`
	P99ms        float64  `json:"p99_ms"`
	MaxMs        float64  `json:"max_ms"`
	BytesPerOp   float64  `json:"bytes_per_op"`
	CPUmsPerOp   float64  `json:"server_cpu_ms_per_op,omitempty"`
	RSSMaxMB     float64  `json:"server_rss_max_mb,omitempty"`
	Loadavg1     float64  `json:"loadavg1_before"`
	Problems     []string `json:"problems,omitempty"`
	FirstFailure string   `json:"first_failure,omitempty"`
}

// runScenario runs name at concurrency c until ops requests or d elapsed
// (every worker sends at least one), after one unmeasured warm-up request.
func runScenario(ctx context.Context, sc *scenarios, name string, c, ops int, d time.Duration, proc *procSampler) scenarioResult {
	op := sc.op(name)
	r := scenarioResult{Name: name, Concurrency: c, Loadavg1: loadavg()}
	if name != "put" { // warm-up; PUT needs none
		_, _, _, _ = op(ctx, 0)
	}
	var mu sync.Mutex
	var durs []time.Duration
	var bytes int64
	var next atomic.Int64
	cpu0 := proc.cpu()
	proc.resetMax()
	deadline := time.Now().Add(d)
	t0 := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := true; ; first = false {
				i := int(next.Add(1))
				if i > max(ops, c) || (!first && time.Now().After(deadline)) || ctx.Err() != nil {
					return
				}
				dur, n, prob, err := op(ctx, i)
				mu.Lock()
				r.Ops++
				switch {
				case err != nil:
					r.Failed++
					if r.FirstFailure == "" {
						r.FirstFailure = err.Error()
					}
				case prob != "":
					r.Wrong++
					if len(r.Problems) < 3 {
						r.Problems = append(r.Problems, prob)
					}
				default:
					r.OK++
				}
				if err == nil {
					durs = append(durs, dur)
					bytes += int64(n)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.Seconds = time.Since(t0).Seconds()
	p := percentiles(durs)
	r.P50ms, r.P95ms, r.P99ms, r.MaxMs = p[0], p[1], p[2], p[3]
	if n := len(durs); n > 0 {
		r.OpsPerSec = float64(n) / r.Seconds
		r.BytesPerOp = float64(bytes) / float64(n)
	}
	if cpu := proc.cpu() - cpu0; cpu > 0 && r.Ops > 0 {
		r.CPUmsPerOp = cpu / float64(r.Ops)
	}
	r.RSSMaxMB = proc.maxRSS()
	return r
}

// percentiles returns p50, p95, p99 and max in milliseconds
// (nearest-rank).
func percentiles(d []time.Duration) [4]float64 {
	var out [4]float64
	if len(d) == 0 {
		return out
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	for k, q := range []float64{0.50, 0.95, 0.99, 1} {
		idx := int(q*float64(len(s))+0.999999) - 1
		idx = max(0, min(idx, len(s)-1))
		out[k] = float64(s[idx].Microseconds()) / 1000
	}
	return out
}

func (res *results) print(w io.Writer) {
	fmt.Fprintf(w, "davload: %s, N=%d events, M=%d cards, seed %d\n", res.Server, res.N, res.M, res.Seed)
	for _, u := range res.Upload {
		fmt.Fprintf(w, "upload %s: %d/%d ok in %.1fs, %.0f items/s at c=%d, p50 %.2f ms, p95 %.2f ms, server CPU %.2f ms/item\n",
			u.Collection, u.OK, u.Items, u.Seconds, u.ItemsPerSec, u.Concurrency, u.P50ms, u.P95ms, u.CPUmsPerItem)
	}
	fmt.Fprintf(w, "\n%-14s %3s %6s %9s %9s %9s %9s %10s %8s %8s %7s %s\n", "scenario", "c", "ops", "p50 ms", "p95 ms", "p99 ms", "req/s", "KB/resp", "cpu ms", "RSS MB", "load1", "correct")
	for _, r := range res.Scenarios {
		correct := fmt.Sprintf("%d/%d", r.OK, r.Ops)
		if r.Wrong > 0 || r.Failed > 0 {
			correct = fmt.Sprintf("WRONG %d, FAILED %d of %d", r.Wrong, r.Failed, r.Ops)
		}
		fmt.Fprintf(w, "%-14s %3d %6d %9.2f %9.2f %9.2f %9.1f %10.1f %8.2f %8.1f %7.2f %s\n", r.Name, r.Concurrency, r.Ops,
			r.P50ms, r.P95ms, r.P99ms, r.OpsPerSec, r.BytesPerOp/1024, r.CPUmsPerOp, r.RSSMaxMB, r.Loadavg1, correct)
	}
	for _, r := range res.Scenarios {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  wrong %s c=%d: %s\n", r.Name, r.Concurrency, p)
		}
		if r.FirstFailure != "" {
			fmt.Fprintf(w, "  failed %s c=%d: %s\n", r.Name, r.Concurrency, r.FirstFailure)
		}
	}
	if res.RSSMaxMB > 0 {
		fmt.Fprintf(w, "server RSS: max sampled %.1f MB, VmHWM %.1f MB\n", res.RSSMaxMB, res.HWMMB)
	}
}

func (res *results) writeJSON(path string) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func machineInfo() map[string]any {
	m := map[string]any{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "cpus": runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m["memory"] = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	return m
}

func loadavg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}

// procSampler reads a process's RSS every 50 ms and its CPU time on
// demand. With pid 0 every figure is 0.
type procSampler struct {
	pid  int
	mu   sync.Mutex
	max  float64 // MB since resetMax
	all  float64 // MB over the run
	done chan struct{}
}

func newProcSampler(pid int) *procSampler {
	p := &procSampler{pid: pid, done: make(chan struct{})}
	if pid > 0 {
		go func() {
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.done:
					return
				case <-t.C:
					p.sample()
				}
			}
		}()
	}
	return p
}

func (p *procSampler) stop() { close(p.done) }

func (p *procSampler) status(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return kb / 1024
		}
	}
	return 0
}

func (p *procSampler) sample() {
	mb := p.status("VmRSS")
	p.mu.Lock()
	p.max = max(p.max, mb)
	p.all = max(p.all, mb)
	p.mu.Unlock()
}

func (p *procSampler) resetMax() {
	if p.pid == 0 {
		return
	}
	p.mu.Lock()
	p.max = 0
	p.mu.Unlock()
	p.sample()
}

func (p *procSampler) maxRSS() float64 { return p.sampled(&p.max) }

// runMaxRSS is the largest RSS sampled over the whole run.
func (p *procSampler) runMaxRSS() float64 { return p.sampled(&p.all) }

// sampled takes a fresh sample and returns *v, one of the maxima.
func (p *procSampler) sampled(v *float64) float64 {
	if p.pid == 0 {
		return 0
	}
	p.sample()
	p.mu.Lock()
	defer p.mu.Unlock()
	return *v
}

func (p *procSampler) hwm() float64 {
	if p.pid == 0 {
		return 0
	}
	return p.status("VmHWM")
}

// cpu returns the process's utime+stime in milliseconds.
func (p *procSampler) cpu() float64 {
	if p.pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) * 10 // USER_HZ is 100 on Linux
}

// printMedian reads the JSON of several runs and prints, per scenario and
// level, the median over runs of each run's figures.
func printMedian(w io.Writer, files []string) error {
	var runs []*results
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r results
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		runs = append(runs, &r)
	}
	if len(runs) == 0 {
		return fmt.Errorf("no result files")
	}
	med := func(get func(*results) (float64, bool)) float64 {
		var v []float64
		for _, r := range runs {
			if x, ok := get(r); ok {
				v = append(v, x)
			}
		}
		if len(v) == 0 {
			return 0
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	first := runs[0]
	fmt.Fprintf(w, "%s: N=%d, M=%d, median of %d runs\n", first.Server, first.N, first.M, len(runs))
	for k, u := range first.Upload {
		ips := med(func(r *results) (float64, bool) {
			if k < len(r.Upload) {
				return r.Upload[k].ItemsPerSec, true
			}
			return 0, false
		})
		fmt.Fprintf(w, "upload %d: %d items, %.0f items/s at c=%d\n", k+1, u.Items, ips, u.Concurrency)
	}
	fmt.Fprintf(w, "%-14s %3s %9s %9s %9s %9s %10s %8s %8s %s\n", "scenario", "c", "p50 ms", "p95 ms", "p99 ms", "req/s", "KB/resp", "cpu ms", "RSS MB", "wrong+failed/ops (all runs)")
	for k, s := range first.Scenarios {
		get := func(f func(scenarioResult) float64) float64 {
			return med(func(r *results) (float64, bool) {
				if k < len(r.Scenarios) && r.Scenarios[k].Name == s.Name {
					return f(r.Scenarios[k]), true
				}
				return 0, false
			})
		}
		bad, ops := 0, 0
		for _, r := range runs {
			if k < len(r.Scenarios) {
				bad += r.Scenarios[k].Wrong + r.Scenarios[k].Failed
				ops += r.Scenarios[k].Ops
			}
		}
		fmt.Fprintf(w, "%-14s %3d %9.2f %9.2f %9.2f %9.1f %10.1f %8.2f %8.1f %d/%d\n", s.Name, s.Concurrency,
			get(func(x scenarioResult) float64 { return x.P50ms }), get(func(x scenarioResult) float64 { return x.P95ms }),
			get(func(x scenarioResult) float64 { return x.P99ms }), get(func(x scenarioResult) float64 { return x.OpsPerSec }),
			get(func(x scenarioResult) float64 { return x.BytesPerOp / 1024 }), get(func(x scenarioResult) float64 { return x.CPUmsPerOp }),
			get(func(x scenarioResult) float64 { return x.RSSMaxMB }), bad, ops)
	}
	fmt.Fprintf(w, "server RSS max over the run (median): %.1f MB; VmHWM (median) %.1f MB\n",
		med(func(r *results) (float64, bool) { return r.RSSMaxMB, true }), med(func(r *results) (float64, bool) { return r.HWMMB, true }))
	return nil
}

// printCompare prints p50 side by side for several servers' JSON results,
// the first being the baseline, with each peer's p50 ratio to it and its
// correctness; a ratio is shown only where both answers were right.
func printCompare(w io.Writer, files []string) error {
	var runs []*results
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r results
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		runs = append(runs, &r)
	}
	if len(runs) < 2 {
		return fmt.Errorf("want at least two result files")
	}
	base := runs[0]
	fmt.Fprintf(w, "| scenario | c | %s p50 ms |", base.Server)
	for _, r := range runs[1:] {
		fmt.Fprintf(w, " %s p50 ms | %s/%s | %s correct |", r.Server, r.Server, base.Server, r.Server)
	}
	fmt.Fprintf(w, "\n|---|---:|---:|")
	for range runs[1:] {
		fmt.Fprintf(w, "---:|---:|---|")
	}
	fmt.Fprintln(w)
	verdict := func(s scenarioResult) string {
		switch {
		case s.Failed > 0:
			return fmt.Sprintf("failed %d/%d: %.80s", s.Failed, s.Ops, strings.Join(strings.Fields(s.FirstFailure), " "))
		case s.Wrong > 0:
			return fmt.Sprintf("**wrong %d/%d**", s.Wrong, s.Ops)
		}
		return fmt.Sprintf("%d/%d", s.OK, s.Ops)
	}
	for _, b := range base.Scenarios {
		fmt.Fprintf(w, "| %s | %d | %.2f (%s) |", b.Name, b.Concurrency, b.P50ms, verdict(b))
		for _, r := range runs[1:] {
			var p *scenarioResult
			for k := range r.Scenarios {
				if r.Scenarios[k].Name == b.Name && r.Scenarios[k].Concurrency == b.Concurrency {
					p = &r.Scenarios[k]
				}
			}
			if p == nil {
				fmt.Fprintf(w, " - | - | not run |")
				continue
			}
			ratio := "-"
			if p.OK == p.Ops && b.OK == b.Ops && b.P50ms > 0 {
				ratio = fmt.Sprintf("%.0fx", p.P50ms/b.P50ms)
			}
			fmt.Fprintf(w, " %.2f | %s | %s |", p.P50ms, ratio, verdict(*p))
		}
		fmt.Fprintln(w)
	}
	for _, r := range runs {
		for _, u := range r.Upload {
			fmt.Fprintf(w, "\n%s upload %s: %d/%d in %.0fs (%.1f items/s at c=%d)", r.Server, u.Collection, u.OK, u.Items, u.Seconds, u.ItemsPerSec, u.Concurrency)
		}
	}
	fmt.Fprintln(w)
	return nil
}
