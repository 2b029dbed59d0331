// Command davload is a CalDAV/CardDAV load generator and correctness
// checker. It uploads a deterministic data set (N events, M vCards) to any
// server, runs named scenarios at a given concurrency, checks every answer
// against its own ground truth, and reports latency percentiles,
// throughput, bytes and the server's RSS and CPU (from /proc/PID).
//
//	davload -url http://127.0.0.1:8080/ -user demo -n 10000 -m 5000 -pid 1234 -json out.json
//
// The password comes from -password or DAVLOAD_PASSWORD. Exit status: 0
// when every answer was right, 1 when any was wrong or failed, 2 on a usage
// error.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
)

type config struct {
	url, user, password string
	calURL, bookURL     string
	n, m                int
	seed                uint64
	concurrency         string
	uploadConc          int
	duration            time.Duration
	ops                 int
	scenarios           string
	jsonOut             string
	pid                 int
	label               string
	timeout             time.Duration
	keep                bool
}

func main() {
	os.Exit(run())
}

func run() int {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080/", "server URL where discovery starts (PROPFIND current-user-principal)")
	flag.StringVar(&c.user, "user", "", "user name for HTTP Basic (empty: no authentication)")
	flag.StringVar(&c.password, "password", "", "password (default: $DAVLOAD_PASSWORD)")
	flag.StringVar(&c.calURL, "calendar-url", "", "an existing, empty calendar to use (default: MKCALENDAR a new one in the calendar home)")
	flag.StringVar(&c.bookURL, "addressbook-url", "", "an existing, empty address book to use (default: MKCOL a new one in the address-book home)")
	flag.IntVar(&c.n, "n", 1000, "calendar objects in the data set")
	flag.IntVar(&c.m, "m", 500, "vCards in the data set")
	flag.Uint64Var(&c.seed, "seed", 1, "data set seed")
	flag.StringVar(&c.concurrency, "c", "1,8", "comma-separated concurrency levels; every scenario runs at each")
	flag.IntVar(&c.uploadConc, "upload-c", 8, "concurrent PUTs while uploading the data set")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "longest time per scenario and level")
	flag.IntVar(&c.ops, "ops", 200, "most requests per scenario and level (at least one per worker)")
	flag.StringVar(&c.scenarios, "scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios to run")
	flag.StringVar(&c.jsonOut, "json", "", "write the full results as JSON to this file")
	flag.IntVar(&c.pid, "pid", 0, "server process ID whose RSS and CPU are sampled from /proc")
	flag.StringVar(&c.label, "label", "", "server name for the report (default: the URL)")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "timeout of one request")
	median := flag.Bool("median", false, "print the median table of the JSON result files given as arguments, then exit")
	compare := flag.Bool("compare", false, "print a side-by-side p50 table of the JSON result files given as arguments (the first is the baseline), then exit")
	flag.BoolVar(&c.keep, "keep", false, "keep the collections davload created (default: DELETE them at the end)")
	flag.Parse()
	if *median {
		if err := printMedian(os.Stdout, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "davload:", err)
			return 1
		}
		return 0
	}
	if *compare {
		if err := printCompare(os.Stdout, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "davload:", err)
			return 1
		}
		return 0
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "davload: unexpected argument %q\n", flag.Arg(0))
		return 2
	}
	if c.password == "" {
		c.password = os.Getenv("DAVLOAD_PASSWORD")
	}
	if c.label == "" {
		c.label = c.url
	}
	levels, err := parseLevels(c.concurrency)
	if err != nil || c.n < 100 || c.m < 100 || c.ops < 1 {
		fmt.Fprintln(os.Stderr, "davload: -c wants positive integers; -n and -m at least 100; -ops at least 1")
		return 2
	}
	names, err := pickScenarios(c.scenarios)
	if err != nil {
		fmt.Fprintln(os.Stderr, "davload:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := runAll(ctx, &c, levels, names)
	if res != nil {
		res.print(os.Stdout)
		if c.jsonOut != "" {
			if werr := res.writeJSON(c.jsonOut); werr != nil {
				fmt.Fprintln(os.Stderr, "davload:", werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "davload:", err)
		return 1
	}
	if res.Wrong > 0 || res.Failed > 0 {
		fmt.Fprintf(os.Stderr, "davload: %d wrong and %d failed answers\n", res.Wrong, res.Failed)
		return 1
	}
	return 0
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n < 1 {
			return nil, fmt.Errorf("bad level %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// runAll discovers or creates the collections, uploads the data set and
// runs every scenario at every level.
func runAll(ctx context.Context, c *config, levels []int, names []string) (*results, error) {
	cl := newClient(c, max(c.uploadConc, slicesMax(levels))+2)
	res := &results{Server: c.label, URL: c.url, N: c.n, M: c.m, Seed: c.seed, Started: time.Now().UTC()}
	res.Machine = machineInfo()
	t0 := time.Now()
	ds := generate(c.n, c.m, c.seed)
	res.GenerateSeconds = time.Since(t0).Seconds()
	proc := newProcSampler(c.pid)
	defer proc.stop()

	if err := cl.setup(ctx, c); err != nil {
		return nil, err
	}
	if !c.keep {
		defer cl.teardown()
	}
	fmt.Fprintf(os.Stderr, "davload: calendar %s, address book %s\n", cl.cal, cl.book)
	up, err := upload(ctx, cl, ds, c.uploadConc, proc)
	res.Upload = up
	if err != nil {
		return res, err
	}
	fmt.Fprintf(os.Stderr, "davload: uploaded %d events and %d cards; running scenarios\n", len(ds.events), len(ds.cards))
	sc := newScenarios(cl, ds, c.seed)
	for _, name := range names {
		for _, lv := range levels {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			r := runScenario(ctx, sc, name, lv, c.ops, c.duration, proc)
			fmt.Fprintf(os.Stderr, "davload: %-14s c=%d %d ops p50 %.2f ms wrong %d failed %d\n", name, lv, r.Ops, r.P50ms, r.Wrong, r.Failed)
			res.Scenarios = append(res.Scenarios, r)
			res.Wrong += r.Wrong
			res.Failed += r.Failed
		}
	}
	res.RSSMaxMB, res.HWMMB = proc.runMaxRSS(), proc.hwm()
	return res, nil
}

func slicesMax(s []int) int {
	m := 0
	for _, v := range s {
		m = max(m, v)
	}
	return m
}
