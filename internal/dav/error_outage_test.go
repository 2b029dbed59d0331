package dav

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// TestWriteErrorOutage: a database outage is a 503 with Retry-After and a
// full disk a 507 (RFC 4918 11.5), never a 500 with the driver's text.
func TestWriteErrorOutage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter bool
	}{
		{"unavailable", fmt.Errorf("backend: get object: %w", backend.ErrUnavailable), http.StatusServiceUnavailable, true},
		{"storage full", fmt.Errorf("backend: put object: %w", backend.ErrStorageFull), http.StatusInsufficientStorage, false},
		{"other", errors.New("backend: put object: boom"), http.StatusInternalServerError, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequestWithContext(t.Context(), "PUT", "/calendars/a/b/c.ics", nil), tc.err)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if got := w.Header().Get("Retry-After"); (got != "") != tc.retryAfter {
				t.Errorf("Retry-After %q, want it set: %v", got, tc.retryAfter)
			}
			if strings.Contains(w.Body.String(), "backend:") {
				t.Errorf("body shows the internal error: %q", w.Body.String())
			}
		})
	}
}
