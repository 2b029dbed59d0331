package dav

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// needPrivileges is the refusal of a request for another user's resource:
// 403 with DAV:need-privileges naming the resource and the privilege the
// method needs (RFC 3744 7.1.1). It is built from the request alone — its
// URL in canonical form and its method — so the answer is the same
// whether that user or resource exists: a stranger learns nothing.
func needPrivileges(r *http.Request) *Error {
	path, slash, err := DecodeHref(r.URL.EscapedPath())
	if err != nil {
		path, slash = r.URL.Path, strings.HasSuffix(r.URL.Path, "/")
	}
	href := strings.TrimSuffix(EncodePath(path), "/")
	privilege, onParent := methodPrivilege(r.Method)
	switch {
	case onParent:
		href = href[:strings.LastIndex(href, "/")+1]
	case slash || href == "":
		href += "/"
	}
	return needPrivilegesOn(href, privilege)
}

// needPrivilegesOn is the need-privileges refusal for one privilege on the
// resource href names.
func needPrivilegesOn(href string, privilege xml.Name) *Error {
	e := NewError(http.StatusForbidden, DAVName("need-privileges"), "%s belongs to another user", href)
	e.ConditionBody = "<D:resource>" + hrefXML(href) + "<D:privilege>" + emptyElement(privilege) + "</D:privilege></D:resource>"
	return e
}

// methodPrivilege is the privilege a method needs (RFC 3744 3.1-3.10),
// and whether it is needed on the parent collection rather than on the
// resource: adding a member (MKCOL, MKCALENDAR: bind, RFC 4791 5.3.1)
// and removing one (DELETE, the source of MOVE: unbind). PUT is named
// write-content whether or not the resource exists (RFC 3744 3.3), as
// naming bind for a new one would tell which it is.
func methodPrivilege(method string) (privilege xml.Name, onParent bool) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, "PROPFIND", "REPORT", "COPY":
		return DAVName("read"), false
	case "PROPPATCH":
		return DAVName("write-properties"), false
	case http.MethodPut, "LOCK", "UNLOCK":
		return DAVName("write-content"), false
	case "MKCOL", "MKCALENDAR":
		return DAVName("bind"), true
	case http.MethodDelete, "MOVE":
		return DAVName("unbind"), true
	}
	return DAVName("all"), false
}
