package backend_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

func mustHash(t *testing.T, password string) string {
	t.Helper()
	h, err := backend.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPrincipalLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := backendtest.New(t)

	cols := []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "default", Components: []string{"VEVENT", "VTODO"}},
		{Kind: backend.KindAddressBook, Slug: "default"},
	}
	alice, err := s.CreatePrincipal(ctx, backend.Principal{Name: "Alice", Email: "alice@example.org", DisplayName: "Alice A."}, mustHash(t, "pw"), cols)
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == 0 || alice.Name != "Alice" || alice.Email != "alice@example.org" || alice.Disabled {
		t.Fatalf("created %+v", alice)
	}
	// Logins are case-insensitive; the stored name keeps its case.
	got, err := s.GetPrincipal(ctx, "alice")
	if err != nil || got.ID != alice.ID || got.Name != "Alice" {
		t.Fatalf("GetPrincipal(alice) = %+v, %v", got, err)
	}
	if _, err := s.CreatePrincipal(ctx, backend.Principal{Name: "ALICE"}, mustHash(t, "x"), nil); !errors.Is(err, backend.ErrExists) {
		t.Fatalf("duplicate name: err = %v, want ErrExists", err)
	}
	for _, name := range []string{"", "a/b", "-x", "a b", "ä", string(make([]byte, 65))} {
		if _, err := s.CreatePrincipal(ctx, backend.Principal{Name: name}, mustHash(t, "x"), nil); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("name %q: err = %v, want ErrInvalid", name, err)
		}
	}
	calendars, err := s.ListCollections(ctx, alice.ID, backend.KindCalendar)
	if err != nil || len(calendars) != 1 || calendars[0].Slug != "default" || len(calendars[0].Components) != 2 {
		t.Fatalf("default calendars = %+v, %v", calendars, err)
	}

	// Password change and disabling are visible to credential lookups.
	newHash := mustHash(t, "new")
	if err := s.SetPasswordHash(ctx, "ALICE", newHash); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPrincipalDisabled(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	cr, err := s.GetPrincipalCredentials(ctx, "alice", nil)
	if err != nil || cr.PasswordHash != newHash || !cr.Principal.Disabled || cr.Collection != nil {
		t.Fatalf("credentials = %+v %v", cr, err)
	}

	bob, err := s.CreatePrincipal(ctx, backend.Principal{Name: "bob"}, mustHash(t, "pw"), nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListPrincipals(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "Alice" || list[1].Name != "bob" {
		t.Fatalf("ListPrincipals = %+v, %v", list, err)
	}
	if n, err := s.CountPrincipals(ctx); err != nil || n != 2 {
		t.Fatalf("CountPrincipals = %d, %v", n, err)
	}

	// Deleting a user removes its collections; other users keep theirs.
	if _, err := s.CreateCollection(ctx, bob.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "default"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePrincipal(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPrincipal(ctx, "alice"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after delete: err = %v, want ErrNotFound", err)
	}
	if cols, _ := s.ListCollections(ctx, alice.ID, backend.KindCalendar); len(cols) != 0 {
		t.Fatalf("alice's calendars survived her deletion: %+v", cols)
	}
	if cols, _ := s.ListCollections(ctx, bob.ID, backend.KindCalendar); len(cols) != 1 {
		t.Fatalf("bob's calendars = %+v", cols)
	}
	for name, err := range map[string]error{
		"delete":  s.DeletePrincipal(ctx, "nobody"),
		"passwd":  s.SetPasswordHash(ctx, "nobody", newHash),
		"disable": s.SetPrincipalDisabled(ctx, "nobody", true),
	} {
		if !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("%s of an unknown user: err = %v, want ErrNotFound", name, err)
		}
	}
}

// A failure while creating the default collections leaves no user behind.
func TestCreatePrincipalIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := backendtest.New(t)
	cols := []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "default"},
		{Kind: backend.KindCalendar, Slug: "default"}, // duplicate: fails
	}
	if _, err := s.CreatePrincipal(ctx, backend.Principal{Name: "carol"}, mustHash(t, "pw"), cols); !errors.Is(err, backend.ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if _, err := s.GetPrincipal(ctx, "carol"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("user exists after a failed creation: %v", err)
	}
}

func TestCollections(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := backendtest.New(t)
	p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "dave"}, mustHash(t, "pw"), nil)
	if err != nil {
		t.Fatal(err)
	}
	order := 3
	work, err := s.CreateCollection(ctx, p.ID, backend.Collection{
		Kind: backend.KindCalendar, Slug: "work", DisplayName: "Work", Color: "#FF0000", Order: &order,
		Components: []string{"VEVENT"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "home"}, nil); err != nil {
		t.Fatal(err)
	}
	// The same slug may name a calendar and an address book.
	if _, err := s.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindAddressBook, Slug: "work"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "work"}, nil); !errors.Is(err, backend.ErrExists) {
		t.Fatalf("duplicate slug: err = %v", err)
	}
	for _, slug := range []string{"", ".", "..", "a/b", "tab\there"} {
		if _, err := s.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: slug}, nil); !errors.Is(err, backend.ErrInvalid) {
			t.Errorf("slug %q: err = %v, want ErrInvalid", slug, err)
		}
	}
	got, err := s.GetCollection(ctx, p.ID, backend.KindCalendar, "work")
	if err != nil || got.ID != work.ID || got.DisplayName != "Work" || got.Color != "#FF0000" || got.Order == nil || *got.Order != 3 {
		t.Fatalf("GetCollection = %+v, %v", got, err)
	}
	list, err := s.ListCollections(ctx, p.ID, backend.KindCalendar)
	if err != nil || len(list) != 2 || list[0].Slug != "work" || list[1].Slug != "home" {
		t.Fatalf("ListCollections = %+v, %v (want ordered work, home)", list, err)
	}
	if err := s.DeleteCollection(ctx, p.ID, backend.KindCalendar, "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCollection(ctx, p.ID, backend.KindCalendar, "work"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.GetCollection(ctx, p.ID, backend.KindAddressBook, "work"); err != nil {
		t.Fatalf("the address book went with the calendar: %v", err)
	}
	if err := s.DeleteCollection(ctx, p.ID, backend.KindCalendar, "work"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// GetPrincipalCredentials reads, when asked, the user's collection of a
// kind and slug with the credentials: only that user's, only that kind.
func TestPrincipalCredentialsWithCollection(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := backendtest.New(t)
	order := 2
	cols := []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "work", DisplayName: "Work", Color: "#00FF00", Order: &order, Components: []string{"VEVENT"}},
		{Kind: backend.KindAddressBook, Slug: "contacts"},
	}
	alice, err := s.CreatePrincipal(ctx, backend.Principal{Name: "alice"}, mustHash(t, "pw"), cols)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePrincipal(ctx, backend.Principal{Name: "bob"}, mustHash(t, "pw"), []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "bobs"},
	}); err != nil {
		t.Fatal(err)
	}
	work, err := s.GetCollection(ctx, alice.ID, backend.KindCalendar, "work")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.GetPrincipalCredentials(ctx, "ALICE", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  backend.CollectionKey
		want *backend.Collection
	}{
		{backend.CollectionKey{Kind: backend.KindCalendar, Slug: "work"}, &work},
		{backend.CollectionKey{Kind: backend.KindAddressBook, Slug: "work"}, nil},
		{backend.CollectionKey{Kind: backend.KindCalendar, Slug: "Work"}, nil},
		{backend.CollectionKey{Kind: backend.KindCalendar, Slug: "bobs"}, nil},
		{backend.CollectionKey{Kind: backend.KindCalendar, Slug: ""}, nil},
	} {
		cr, err := s.GetPrincipalCredentials(ctx, "ALICE", &tc.key)
		if err != nil {
			t.Fatalf("%+v: %v", tc.key, err)
		}
		if cr.Principal != plain.Principal || cr.PasswordHash != plain.PasswordHash {
			t.Errorf("%+v: credentials %+v, want %+v", tc.key, cr, plain)
		}
		switch {
		case tc.want == nil && cr.Collection != nil:
			t.Errorf("%+v: found %+v", tc.key, *cr.Collection)
		case tc.want != nil && (cr.Collection == nil || !reflect.DeepEqual(*cr.Collection, *tc.want)):
			t.Errorf("%+v: collection %+v, want %+v", tc.key, cr.Collection, *tc.want)
		}
	}
	if _, err := s.GetPrincipalCredentials(ctx, "carol", &backend.CollectionKey{Kind: backend.KindCalendar, Slug: "work"}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("unknown user: err = %v, want ErrNotFound", err)
	}
}
