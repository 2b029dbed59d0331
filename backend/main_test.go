package backend_test

import (
	"testing"

	"github.com/pgdav/pgdav/backend/backendtest"
)

func TestMain(m *testing.M) { backendtest.Main(m) }
