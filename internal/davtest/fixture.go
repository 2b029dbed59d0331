package davtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fixture is a client's recorded request from testdata/fixtures.
type Fixture struct {
	Name         string
	Method, Path string   // Path is below the base path
	Headers      []string // "Name: value", the client's own
	Body         string
}

// LoadFixture reads testdata/fixtures/name of the calling test's package
// and fills in vars ({{key}}). It keeps the client's own headers, not
// Host, Authorization, Connection or Accept-Encoding, which belong to the
// connection the test makes.
func LoadFixture(t *testing.T, name string, vars map[string]string) Fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	subst := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{{"+k+"}}", v)
		}
		return s
	}
	head, body, ok := strings.Cut(string(data), "\n\n")
	if !ok {
		t.Fatalf("%s: no body", name)
	}
	f := Fixture{Name: name, Body: subst(body)}
	sc := bufio.NewScanner(strings.NewReader(head))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case f.Method == "":
			parts := strings.Fields(line)
			if len(parts) != 3 {
				t.Fatalf("%s: request line %q", name, line)
			}
			f.Method, f.Path = parts[0], subst(parts[1])
		default:
			k, _, _ := strings.Cut(line, ":")
			switch strings.ToLower(k) {
			case "host", "authorization", "connection", "accept-encoding":
			default:
				f.Headers = append(f.Headers, line)
			}
		}
	}
	if strings.Contains(f.Path+f.Body, "{{") {
		t.Fatalf("%s: unfilled template in %s %s", name, f.Path, f.Body)
	}
	return f
}

// Replay sends a fixture as user.
func (e *Env) Replay(t *testing.T, user string, f Fixture) *Resp {
	t.Helper()
	return e.Do(t, user, f.Method, f.Path, f.Body, f.Headers...)
}
