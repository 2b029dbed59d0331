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
	var dead []PatchOp
	refused := 0
	for i, op := range ops {
		isDead, perr := h.patchOne(res, op, ch)
		results[i] = Prop{Name: op.Prop.Name, Status: http.StatusOK}
		if isDead {
			dead = append(dead, op)
		}
		if perr != nil {
			de := AsError(perr)
			results[i].Status = de.Status
			results[i].Error = conditionXML(de)
			if refused == 0 {
				Logger(ctx).Info("PROPPATCH instruction refused", "path", r.URL.Path, "property", op.Prop.Name.Local, "reason", de.Error())
			}
			refused++
		}
	}
	if refused > 1 {
		Logger(ctx).Info("PROPPATCH instructions refused", "path", r.URL.Path, "count", refused)
	}
	failed := refused > 0
	patch.Set, patch.Remove = collapseDead(dead)
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

// patchOne checks one instruction: a writable live property of a
// collection goes into ch; isDead says it is a dead property's, for
// collapseDead.
func (h *Handler) patchOne(res *Resource, op PatchOp, ch *CollectionChange) (isDead bool, err error) {
	name := op.Prop.Name
	if lp, ok := h.liveFor(res).get(name); ok || !h.mayBeDead(name) {
		if ok && !lp.Protected && res.Kind == KindCollection {
			return false, h.setCollectionLive(res, op, ch)
		}
		return false, NewError(http.StatusForbidden, DAVName("cannot-modify-protected-property"),
			"%s is a protected property", name.Local)
	}
	return true, nil
}

// collapseDead turns the dead property instructions into the patch's Set
// and Remove. Instructions apply in document order (RFC 4918 9.2), so of
// several on one property the last wins; they are collapsed from the end
// with a set, not by searching the patch for each one, which made a
// PROPPATCH quadratic in its properties.
func collapseDead(ops []PatchOp) (set []backend.DeadProperty, remove []backend.PropertyName) {
	var seen NameSet
	for i := len(ops) - 1; i >= 0; i-- {
		name := ops[i].Prop.Name
		if !seen.Add(name) {
			continue
		}
		if ops[i].Remove {
			remove = append(remove, backend.PropertyName{Namespace: name.Space, Name: name.Local})
		} else {
			set = append(set, backend.DeadProperty{Namespace: name.Space, Name: name.Local, Value: ops[i].Prop.Raw})
		}
	}
	slices.Reverse(set)
	slices.Reverse(remove)
	return set, remove
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
