package dav

import (
	"context"
	"encoding/xml"

	"github.com/pgdav/pgdav/backend"
)

// deadIndex finds a resource's dead properties by name for one PROPFIND
// response. A few names are looked up in the list as stored; when both
// the names asked and the properties stored are many, the list is
// indexed once, so the response costs what its names and properties
// cost, not their product.
type deadIndex struct {
	loaded bool
	list   []backend.DeadProperty
	byName map[xml.Name]string
}

// deadScanLimit is the product of names asked and properties stored up to
// which a plain scan is cheaper than building an index.
const deadScanLimit = 256

func (x *deadIndex) lookup(ctx context.Context, res *Resource, n xml.Name, asked int) (string, bool, error) {
	if !x.loaded {
		dead, err := res.deadProps(ctx)
		if err != nil {
			return "", false, err
		}
		x.loaded, x.list = true, dead
		if asked*len(dead) > deadScanLimit {
			x.byName = make(map[xml.Name]string, len(dead))
			for _, d := range dead {
				countLookup()
				k := xml.Name{Space: d.Namespace, Local: d.Name}
				if _, dup := x.byName[k]; !dup {
					x.byName[k] = d.Value
				}
			}
		}
	}
	if x.byName != nil {
		countLookup()
		v, ok := x.byName[n]
		return v, ok, nil
	}
	for _, d := range x.list {
		countLookup()
		if d.Namespace == n.Space && d.Name == n.Local {
			return d.Value, true, nil
		}
	}
	return "", false, nil
}
