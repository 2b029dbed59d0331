package dav

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func TestParseDepth(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   Depth
		bad    bool
	}{
		{header: nil, want: DepthInfinity},
		{header: []string{""}, want: DepthInfinity},
		{header: []string{"0"}, want: Depth0},
		{header: []string{" 1 "}, want: Depth1},
		{header: []string{"infinity"}, want: DepthInfinity},
		{header: []string{"Infinity"}, want: DepthInfinity},
		{header: []string{"2"}, bad: true},
		{header: []string{"one"}, bad: true},
		{header: []string{"-1"}, bad: true},
	} {
		r := httptest.NewRequest("PROPFIND", "/", nil)
		for _, v := range tc.header {
			r.Header.Add("Depth", v)
		}
		got, err := ParseDepth(r, DepthInfinity)
		if tc.bad {
			wantStatus(t, err, http.StatusBadRequest)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Depth %q: %v, %v; want %v", tc.header, got, err, tc.want)
		}
	}
	if s := Depth1.String() + DepthInfinity.String(); s != "1infinity" {
		t.Errorf("String: %q", s)
	}
}

func TestParseETagHeader(t *testing.T) {
	for in, want := range map[string]*backend.ETagSet{
		"":                             nil,
		"   ":                          nil,
		`""`:                           nil,
		"*":                            {Any: true},
		` * `:                          {Any: true},
		`"abc"`:                        {Tags: []string{"abc"}},
		`abc`:                          {Tags: []string{"abc"}},
		`W/"abc"`:                      {Tags: []string{"abc"}},
		`w/"abc"`:                      {Tags: []string{"abc"}},
		`"a", W/"b" ,c`:                {Tags: []string{"a", "b", "c"}},
		`\"abc\"`:                      {Tags: []string{"abc"}},
		`"\"abc\""`:                    {Tags: []string{"abc"}},
		`"a,b", "c"`:                   {Tags: []string{"a,b", "c"}},
		`"0123456789abcdef0123456789"`: {Tags: []string{"0123456789abcdef0123456789"}},
	} {
		got := ParseETagHeader(in)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseETagHeader(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestConditions(t *testing.T) {
	r := httptest.NewRequest("PUT", "/c/x.ics", nil)
	if c := Conditions(r); c.IfMatch != nil || c.IfNoneMatch != nil {
		t.Errorf("no headers: %+v", c)
	}
	r.Header.Add("If-Match", `"a"`)
	r.Header.Add("If-Match", `W/"b"`)
	r.Header.Set("If-None-Match", "*")
	c := Conditions(r)
	if !reflect.DeepEqual(c.IfMatch, &backend.ETagSet{Tags: []string{"a", "b"}}) || !reflect.DeepEqual(c.IfNoneMatch, &backend.ETagSet{Any: true}) {
		t.Errorf("conditions %+v %+v", c.IfMatch, c.IfNoneMatch)
	}
}

func TestPreferMinimal(t *testing.T) {
	for _, tc := range []struct {
		header, value string
		want          bool
	}{
		{"", "", false},
		{"Prefer", "return=minimal", true},
		{"Prefer", "Return=Minimal", true},
		{"Prefer", `return="minimal"`, true},
		{"Prefer", "return = minimal", true},
		{"Prefer", "return-minimal", true},
		{"Prefer", "respond-async, return=minimal; foo=bar", true},
		{"Prefer", "depth-noroot, return=minimal", true},
		{"Prefer", "return=representation", false},
		{"Prefer", "minimal", false},
		{"Brief", "t", true},
		{"Brief", "T", true},
		{"Brief", "f", false},
	} {
		r := httptest.NewRequest("PROPFIND", "/", nil)
		if tc.header != "" {
			r.Header.Set(tc.header, tc.value)
		}
		if got := PreferMinimal(r); got != tc.want {
			t.Errorf("%s: %s → %v, want %v", tc.header, tc.value, got, tc.want)
		}
	}
}

func TestQuoteETag(t *testing.T) {
	if got := QuoteETag("0123abcd"); got != `"0123abcd"` {
		t.Errorf("QuoteETag = %s", got)
	}
	if got := ParseETagHeader(QuoteETag("0123abcd")); !reflect.DeepEqual(got, &backend.ETagSet{Tags: []string{"0123abcd"}}) {
		t.Errorf("round trip: %+v", got)
	}
}
