package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Plan is PostgreSQL's EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of one
// statement, for the tests that check which nodes the planner chose: they
// read node types and index names, which do not change with the wording
// of the text format between PostgreSQL versions.
type Plan struct {
	Root PlanNode
}

// PlanNode is one node of a Plan, with the fields the tests read.
type PlanNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	IndexCond    string     `json:"Index Cond"`
	Filter       string     `json:"Filter"`
	JoinFilter   string     `json:"Join Filter"`
	ActualRows   float64    `json:"Actual Rows"`
	ActualLoops  float64    `json:"Actual Loops"`
	ActualTime   float64    `json:"Actual Total Time"`
	SharedHit    int64      `json:"Shared Hit Blocks"`
	SharedRead   int64      `json:"Shared Read Blocks"`
	Plans        []PlanNode `json:"Plans"`
}

// Nodes returns every node of the plan, parents before their children.
func (p *Plan) Nodes() []PlanNode {
	var out []PlanNode
	var walk func(n PlanNode)
	walk = func(n PlanNode) {
		out = append(out, n)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(p.Root)
	return out
}

// Any reports whether some node satisfies ok.
func (p *Plan) Any(ok func(PlanNode) bool) bool {
	return p.Count(ok) > 0
}

// Count returns how many nodes satisfy ok.
func (p *Plan) Count(ok func(PlanNode) bool) int {
	n := 0
	for _, node := range p.Nodes() {
		if ok(node) {
			n++
		}
	}
	return n
}

// String renders the plan one node a line, indented, for failure
// messages and benchmark logs.
func (p *Plan) String() string {
	var b strings.Builder
	var walk func(n PlanNode, depth int)
	walk = func(n PlanNode, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + n.NodeType)
		if n.IndexName != "" {
			b.WriteString(" using " + n.IndexName)
		}
		if n.RelationName != "" {
			b.WriteString(" on " + n.RelationName)
		}
		if n.ActualLoops == 0 {
			b.WriteString(" (never executed)")
		} else {
			fmt.Fprintf(&b, " (rows=%g loops=%g time=%.3fms shared hit=%d read=%d)", n.ActualRows, n.ActualLoops, n.ActualTime, n.SharedHit, n.SharedRead)
		}
		for _, f := range [][2]string{{"Index Cond", n.IndexCond}, {"Filter", n.Filter}, {"Join Filter", n.JoinFilter}} {
			if f[1] != "" {
				fmt.Fprintf(&b, " %s: %s", f[0], f[1])
			}
		}
		b.WriteString("\n")
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(p.Root, 0)
	return b.String()
}

// Explain runs sql under EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON).
func (s *Store) Explain(ctx context.Context, sql string, args ...any) (*Plan, error) {
	return readPlan(s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+sql, args...))
}

// readPlan reads the one row of an EXPLAIN (FORMAT JSON).
func readPlan(rows pgx.Rows, err error) (*Plan, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var doc string
	for rows.Next() {
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var top []struct {
		Plan PlanNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return nil, fmt.Errorf("EXPLAIN (FORMAT JSON): %w", err)
	}
	if len(top) != 1 {
		return nil, fmt.Errorf("EXPLAIN (FORMAT JSON): %d plans, want 1", len(top))
	}
	return &Plan{Root: top[0].Plan}, nil
}
