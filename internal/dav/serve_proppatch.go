package dav

import (
	"net/http"
	"slices"

	"github.com/pgdav/pgdav/backend"
)

// proppatch applies a PROPPATCH atomically (RFC 4918 9.2): every
// instruction is checked first; if any fails, nothing is written and the
// others are reported 424 Failed Dependency. Protected live properties
// fail with 403 and DAV:cannot-modify-protected-property. Live properties
// of collections (displayname, descriptions, colour, order, timezone) go
// to their columns; everything else is stored as a dead property, byte
// for byte as sent.
func (h *Handler) proppatch(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	ops, err := ParseProppatch(http.MaxBytesReader(w, r.Body, maxXMLBody))
	if err != nil {
		return err
	}
	ctx := r.Context()
	res, err := h.load(ctx, t, p)
	if err != nil {
		return err
	}
	pt, ok := res.propertyTarget()
	if !ok {
		return Errorf(http.StatusForbidden, "properties of %s cannot be changed", res.Href)
	}
	// Checked now, so a failed condition is 412 even when no instruction
	// is written, and again by the store under the write's lock.
	cond, err := h.conditions(r, t, p, nil)
	if err == nil {
		err = cond.Check(res.state(), backend.State{})
	}
	if err != nil {
		return h.writeError(err, res.Type, p, nil)
	}
	patch := backend.PropertyPatch{Target: pt, Cond: cond}
	ch := &CollectionChange{}
	results := make([]Prop, len(ops))
	failed := false
	for i, op := range ops {
		perr := h.patchOne(res, op, &patch, ch)
		results[i] = Prop{Name: op.Prop.Name, Status: http.StatusOK}
		if perr != nil {
			de := AsError(perr)
			results[i].Status = de.Status
			results[i].Error = conditionXML(de)
			failed = true
			Logger(ctx).Info("PROPPATCH instruction refused", "path", r.URL.Path, "property", op.Prop.Name.Local, "reason", de.Error())
		}
	}
	if failed {
		for i := range results {
			if results[i].Status == http.StatusOK {
				results[i].Status = http.StatusFailedDependency
			}
		}
	} else {
		if res.Kind == KindCollection && ch.Update != (backend.CollectionUpdate{}) {
			patch.Collection = &ch.Update
		}
		if err := h.store.PatchProperties(ctx, patch); err != nil {
			return h.writeError(err, res.Type, p, nil)
		}
	}
	ms := NewMultistatus(w, MultistatusOptions{})
	err = ms.Response(res.Href, results)
	if err == nil {
		err = ms.Close()
	}
	return finish(ctx, ms, err)
}

// patchOne checks one instruction and adds its effect to patch or ch.
func (h *Handler) patchOne(res *Resource, op PatchOp, patch *backend.PropertyPatch, ch *CollectionChange) error {
	name := op.Prop.Name
	if lp, ok := h.liveFor(res).get(name); ok || !h.mayBeDead(name) {
		if ok && !lp.Protected && res.Kind == KindCollection {
			return h.setCollectionLive(res, op, ch)
		}
		return NewError(http.StatusForbidden, DAVName("cannot-modify-protected-property"),
			"%s is a protected property", name.Local)
	}
	// Instructions apply in document order (RFC 4918 9.2): a later one on
	// the same property replaces an earlier one.
	patch.Set = slices.DeleteFunc(patch.Set, func(d backend.DeadProperty) bool {
		return d.Namespace == name.Space && d.Name == name.Local
	})
	patch.Remove = slices.DeleteFunc(patch.Remove, func(n backend.PropertyName) bool {
		return n.Namespace == name.Space && n.Name == name.Local
	})
	if op.Remove {
		patch.Remove = append(patch.Remove, backend.PropertyName{Namespace: name.Space, Name: name.Local})
		return nil
	}
	patch.Set = append(patch.Set, backend.DeadProperty{Namespace: name.Space, Name: name.Local, Value: op.Prop.Raw})
	return nil
}

// setCollectionLive applies a writable live property of a collection.
func (h *Handler) setCollectionLive(res *Resource, op PatchOp, ch *CollectionChange) error {
	if op.Prop.Name == DAVName("displayname") {
		v := ""
		if !op.Remove {
			v = op.Prop.Text
		}
		ch.Update.DisplayName = &v
		return nil
	}
	var handled bool
	var err error
	if op.Remove {
		handled, err = res.Type.RemoveCollectionProp(op.Prop.Name, ch)
	} else {
		handled, err = res.Type.SetCollectionProp(op.Prop, ch)
	}
	if err == nil && !handled {
		err = NewError(http.StatusForbidden, DAVName("cannot-modify-protected-property"), "%s cannot be changed", op.Prop.Name.Local)
	}
	return err
}

// conditionXML is the <D:error> content of a per-property failure
// (RFC 4918 14.22: a propstat may carry an error element).
func conditionXML(de *Error) string {
	if de.Condition.Local == "" {
		return ""
	}
	return emptyElement(de.Condition)
}
