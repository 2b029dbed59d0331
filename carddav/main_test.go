package carddav

import (
	"testing"

	"github.com/pgdav/pgdav/backend/backendtest"
)

// The differential test and the benchmarks need PostgreSQL: one private
// cluster for the test binary (backendtest).
func TestMain(m *testing.M) { backendtest.Main(m) }
