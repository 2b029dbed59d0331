package dav_test

import (
	"testing"

	"github.com/pgdav/pgdav/backend/backendtest"
)

// TestMain gives the tests that run a whole server (davtest) a private
// PostgreSQL cluster, started by the first of them; the others need none.
func TestMain(m *testing.M) { backendtest.Main(m) }
