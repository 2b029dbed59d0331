package dav

import "net/http"

// TruncatedResponse is the <D:response> for the Request-URI href that
// ends an answer cut short by a limit (RFC 5323 5.17, RFC 6352 8.6.1,
// RFC 6578 3.6): status 507 with DAV:number-of-matches-within-limits and
// message, for people, saying what was left out. It is written with
// Multistatus.Close after the responses.
func TruncatedResponse(href, message string) string {
	return "<D:response>" + hrefXML(href) + "<D:status>" + statusLine(http.StatusInsufficientStorage) + "</D:status>" +
		"<D:error><D:number-of-matches-within-limits/></D:error>" +
		"<D:responsedescription>" + EscapeText(message) + "</D:responsedescription></D:response>\n"
}
