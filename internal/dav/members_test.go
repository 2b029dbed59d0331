package dav

import (
	"encoding/xml"
	"net/http"
	"slices"
	"testing"
)

// TestWithDataProp: a REPORT's data property joins the names asked at
// its place, without touching the request's own Propfind.
func TestWithDataProp(t *testing.T) {
	t.Parallel()
	etag, note, data := DAVName("getetag"), xml.Name{Space: "urn:x", Local: "note"}, CardDAVName("address-data")
	render := func(*Resource) (Prop, error) { return Prop{Name: data, Status: http.StatusOK}, nil }
	for _, tc := range []struct {
		name string
		pf   *Propfind
		at   int
		want []xml.Name
	}{
		{"no other property", nil, 0, []xml.Name{data}},
		{"last", &Propfind{Kind: PropfindProp, Props: []xml.Name{etag, note}}, -1, []xml.Name{etag, note, data}},
		{"first", &Propfind{Kind: PropfindProp, Props: []xml.Name{etag, note}}, 0, []xml.Name{data, etag, note}},
		{"between", &Propfind{Kind: PropfindProp, Props: []xml.Name{etag, note}}, 1, []xml.Name{etag, data, note}},
		{"out of range", &Propfind{Kind: PropfindProp, Props: []xml.Name{etag}}, 7, []xml.Name{etag, data}},
	} {
		var before []xml.Name
		if tc.pf != nil {
			before = slices.Clone(tc.pf.Props)
			tc.pf.Props = slices.Grow(tc.pf.Props, 4) // room an append could take
		}
		got, err := withDataProp(nil, tc.pf, &DataProp{Name: data, Render: render, At: tc.at})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got.Props, tc.want) || got.Kind != PropfindProp || got.data[nil][data] == nil {
			t.Errorf("%s: %v, want %v with a renderer", tc.name, got.Props, tc.want)
		}
		if tc.pf != nil && !slices.Equal(tc.pf.Props, before) {
			t.Errorf("%s: the request's names changed to %v", tc.name, tc.pf.Props)
		}
	}
	if _, err := withDataProp(nil, &Propfind{Kind: PropfindAllProp}, &DataProp{Name: data, Render: render}); err == nil {
		t.Error("a data property with allprop was taken")
	}
}
