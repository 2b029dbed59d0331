package backend_test

import (
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	hash, err := backend.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$") || strings.Contains(hash, "correct horse") {
		t.Fatalf("hash %q is not an argon2id PHC string", hash)
	}
	again, _ := backend.HashPassword("correct horse")
	if again == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"correct horse", true},
		{"correct horsE", false},
		{"", false},
		{"correct horse ", false},
	} {
		ok, err := backend.CheckPassword(hash, tc.password)
		if err != nil || ok != tc.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=0$AAAA$AAAA", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA"} {
		if ok, err := backend.CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
	if _, err := backend.HashPassword(""); err == nil {
		t.Error("HashPassword(\"\") succeeded")
	}
}
