package dav

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// DAVHeader is the DAV response header (RFC 4918 10.1): compliance
// classes 1 and 3, RFC 4791, RFC 6352, RFC 5689, and RFC 7809's
// calendar-no-timezone (objects may use a TZID without its VTIMEZONE). It
// starts with "1" because Thunderbird drops the first token as a version
// (docs/clients.md "The DAV header starts with 1").
// access-control is not claimed: RFC 3744 is not served (no ACL method,
// no DAV:acl); current-user-privilege-set, which clients read, is a
// property any server may answer.
const DAVHeader = "1, 3, calendar-access, addressbook, extended-mkcol, calendar-no-timezone"

// maxXMLBody bounds PROPFIND, PROPPATCH and MKCOL bodies, which are small;
// REPORT bodies (a multiget may list thousands of hrefs) have their own.
const maxXMLBody = 1 << 20

// Config is what the handler needs to know about its deployment.
type Config struct {
	// BasePath is the URL prefix every href carries: "" for the root, or
	// "/dav" (no trailing slash).
	BasePath string
	// MaxResourceSize bounds a calendar object or vCard, in bytes (RFC 4791
	// 5.2.5, RFC 6352 6.2.3).
	MaxResourceSize int64
	// SyncMaxResults caps the members of one sync-collection answer; a
	// longer delta is paged (RFC 6578 3.6). 0 means no cap: the answer
	// streams whole. See DefaultSyncMaxResults.
	SyncMaxResults int
}

// Store is what the handlers need from the backend, sync-collection's
// change logs included: a store that lacks a method is a compile error
// where the handler is made, never a 501 at run time.
type Store interface {
	SyncStore
	HomeSyncStore
	GetCollection(ctx context.Context, principalID int64, kind backend.CollectionKind, slug string) (backend.Collection, error)
	ListCollections(ctx context.Context, principalID int64, kind backend.CollectionKind) ([]backend.Collection, error)
	CreateCollection(ctx context.Context, principalID int64, c backend.Collection, props []backend.DeadProperty) (backend.Collection, error)
	DeleteCollectionIf(ctx context.Context, principalID int64, kind backend.CollectionKind, slug string, cond backend.Conditions) error
	GetObject(ctx context.Context, collectionID int64, name string, withData bool) (backend.Object, error)
	ListObjects(ctx context.Context, collectionID int64, withData bool, fn func(backend.Object) error) error
	ListObjectNames(ctx context.Context, collectionID int64, limit int) ([]string, error)
	GetObjectsByName(ctx context.Context, collectionID int64, names []string, withData bool, fn func(backend.Object) error) error
	PutObject(ctx context.Context, w backend.ObjectWrite, cond backend.Conditions) (backend.Object, bool, error)
	DeleteObject(ctx context.Context, collectionID int64, name string, cond backend.Conditions) error
	MoveObject(ctx context.Context, srcCollectionID int64, srcName string, dstCollectionID int64, dstName string, overwrite bool, srcCond backend.Conditions) (bool, error)
	CopyObject(ctx context.Context, srcCollectionID int64, srcName string, dstCollectionID int64, dstName string, overwrite bool, srcCond backend.Conditions) (bool, error)
	ListProperties(ctx context.Context, t backend.PropertyTarget) ([]backend.DeadProperty, error)
	ListObjectProperties(ctx context.Context, collectionID int64) (map[int64][]backend.DeadProperty, error)
	PatchProperties(ctx context.Context, p backend.PropertyPatch) error
}

// Handler serves the DAV URL space for an authenticated principal.
type Handler struct {
	cfg    Config
	base   string
	store  Store
	types  []CollectionType
	byHome map[string]CollectionType
	live   liveTables
}

// NewHandler returns the handler of every DAV path, for the collection
// types given (caldav's and carddav's).
func NewHandler(cfg Config, store Store, types ...CollectionType) *Handler {
	h := &Handler{
		cfg:    cfg,
		base:   strings.TrimRight(cfg.BasePath, "/"),
		store:  store,
		types:  types,
		byHome: map[string]CollectionType{},
	}
	for _, t := range types {
		h.byHome[t.HomeSegment()] = t
	}
	h.live = h.buildLiveTables()
	return h
}

// BasePath is the prefix of every href, without a trailing slash.
func (h *Handler) BasePath() string { return h.base }

// Href returns the canonical href of decoded segments below the base path.
func (h *Handler) Href(collection bool, segments ...string) string {
	return h.href(collection, segments...)
}

// ServeHTTP answers one DAV request. The caller has authenticated it and
// put the principal into its context.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		if AsError(err).Status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
			h.setAllow(w, r)
		}
		WriteError(w, r, err)
	}
}

// setAllow sets the Allow header of a 405 answer (RFC 9110 15.5.6: it
// must list the methods the target resource supports), as OPTIONS would.
func (h *Handler) setAllow(w http.ResponseWriter, r *http.Request) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return
	}
	t, err := h.resolve(r.URL.EscapedPath())
	if err != nil {
		return
	}
	_, err = h.load(r.Context(), t, p)
	w.Header().Set("Allow", strings.Join(h.allow(t.kind, err == nil, t), ", "))
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return Errorf(http.StatusUnauthorized, "authentication required")
	}
	t, err := h.resolve(r.URL.EscapedPath())
	if err != nil && !(t.parent != nil && (r.Method == "MKCOL" || r.Method == "MKCALENDAR")) {
		// A URL outside the layout is not found, except to MKCOL,
		// which answers by its parent (403 or 409, RFC 4918 9.3.1).
		return err
	}
	// The one access decision every method goes through (access.go).
	if err := h.authorize(r, t, p); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodOptions:
		return h.options(w, r, t, p)
	case "PROPFIND":
		return h.propfind(w, r, t, p)
	case "PROPPATCH":
		return h.proppatch(w, r, t, p)
	case "MKCOL", "MKCALENDAR":
		return h.mkcol(w, r, t, p)
	case http.MethodGet, http.MethodHead:
		return h.get(w, r, t, p)
	case http.MethodPut:
		return h.put(w, r, t, p)
	case http.MethodDelete:
		return h.delete(w, r, t, p)
	case "MOVE", "COPY":
		return h.moveCopy(w, r, t, p)
	case "REPORT":
		return h.report(w, r, t, p)
	}
	res, err := h.load(r.Context(), t, p)
	if err != nil {
		return err
	}
	w.Header().Set("Allow", strings.Join(h.allow(res.Kind, true, t), ", "))
	return Errorf(http.StatusMethodNotAllowed, "%s is not allowed here", r.Method)
}

// resolve decodes a request path and places it in the layout.
func (h *Handler) resolve(escapedPath string) (target, error) {
	path, slash, err := DecodeHref(escapedPath)
	if err != nil {
		return target{}, Errorf(http.StatusBadRequest, "bad request URL: %v", err)
	}
	rel, ok := h.relative(path)
	if !ok {
		return target{}, Errorf(http.StatusNotFound, "not found")
	}
	t := h.parseTarget(rel, slash || rel == "")
	if t.kind == KindNone {
		return t, Errorf(http.StatusNotFound, "not found")
	}
	return t, nil
}

// relative strips the base path from a decoded absolute path.
func (h *Handler) relative(path string) (string, bool) {
	if h.base == "" {
		return path, true
	}
	if path == h.base {
		return "/", true
	}
	rest, ok := strings.CutPrefix(path, h.base+"/")
	return "/" + rest, ok
}

// MaxReportBody bounds a REPORT body. A multiget may name thousands of
// hrefs (Thunderbird's address book sync and vdirsyncer send them all in
// one request), so the bound is generous.
const MaxReportBody = 32 << 20

// report reads a REPORT body, finds its root element and hands it to the
// collection type that supports it (RFC 3253 3.6).
func (h *Handler) report(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	res, err := h.load(r.Context(), t, p)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReportBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(http.StatusRequestEntityTooLarge, "the REPORT body is larger than %d bytes", MaxReportBody)
		}
		return &Error{Status: http.StatusBadRequest, Message: "the REPORT body could not be read to its end", Err: err}
	}
	root, ok, err := ReadRoot(NewDecoder(bytes.NewReader(body)))
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(http.StatusBadRequest, "a REPORT needs a body")
	}
	if done, err := h.principalReport(w, r, res, root.Name, body); done {
		return err // expand-property, principal-search-property-set (principal_reports.go)
	}
	if root.Name == reportSyncCollection {
		// Answered here for every collection type (sync.go).
		return h.syncCollection(w, r, res, body)
	}
	if res.Type == nil || !slices.Contains(res.Type.Reports(res.Kind), root.Name) {
		return NewError(http.StatusForbidden, DAVName("supported-report"),
			"the %s REPORT is not supported on this resource", root.Name.Local)
	}
	return res.Type.Report(w, r, res, root.Name, body)
}
