package caldav

import (
	"testing"

	"github.com/pgdav/pgdav/backend/backendtest"
)

// TestMain gives the tests that need the store (the differential test) a
// private PostgreSQL cluster; the others do not touch it.
func TestMain(m *testing.M) { backendtest.Main(m) }
