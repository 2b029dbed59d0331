package dav

import (
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// Access decisions live here, and only here: every method passes through
// authorize before its handler runs (serve), and the places that follow
// a URL found inside a request — a MOVE or COPY Destination, the tagged
// URLs of an If header, the hrefs of a multiget, the principals a
// principal REPORT names — ask mayReach. Today the one rule is ownership:
// a user reaches their own principal, homes, collections and objects and
// nobody else's. Sharing (RFC 3744 privileges granted to other users)
// extends mayReach and authorize and nothing else.

// mayReach reports whether principal p may reach the resource t names.
// Places that belong to no user (the root, the principals collection)
// are open to every authenticated principal.
func mayReach(p backend.Principal, t target) bool {
	return t.user == "" || strings.EqualFold(t.user, p.Name)
}

// authorize decides whether p may run r's method on t: nil, or the 403
// DAV:need-privileges refusal (RFC 3744 7.1.1, need_privileges.go),
// which is the same whether that user or resource exists, so a stranger
// learns nothing from it.
func (h *Handler) authorize(r *http.Request, t target, p backend.Principal) error {
	if !mayReach(p, t) {
		return needPrivileges(r)
	}
	return nil
}
