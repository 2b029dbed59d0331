package backend_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// GetObjectsByName answers each existing name of the collection once,
// however often it is asked for, and nothing for the others; and it
// probes the (collection_id, name) index for each name even on a
// collection PostgreSQL has no statistics of yet, where "name = ANY"
// filtered the whole collection.
func TestGetObjectsByName(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.importNumbered(t, f.cal.ID, 1000)
	f.put(t, f.alt.ID, "other.ics", "uid-other", "data of other.ics")

	ask := []string{"e0001.ics", "e0002.ics", "e0001.ics", "missing.ics", "other.ics", "e0999.ics"}
	var got []string
	err := f.s.GetObjectsByName(ctx, f.cal.ID, ask, true, func(o backend.Object) error {
		if string(o.Data) != "data of "+o.Name {
			t.Errorf("%s: data %q", o.Name, o.Data)
		}
		got = append(got, o.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"e0001.ics", "e0002.ics", "e0999.ics"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("e%04d.ics", i*7)
	}
	for _, withData := range []bool{false, true} {
		plan, err := f.s.ExplainObjectsByName(ctx, f.cal.ID, names, withData)
		if err != nil {
			t.Fatal(err)
		}
		probes := plan.Any(func(n backend.PlanNode) bool { return n.IndexName == "objects_collection_id_name_key" })
		if !probes || plan.Any(func(n backend.PlanNode) bool {
			return strings.HasPrefix(n.Filter, "(name = ") || strings.HasPrefix(n.JoinFilter, "(name = ")
		}) {
			t.Errorf("withData %v: the names are not index probes:\n%s", withData, plan)
		}
	}
}
