package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// dialFrom connects to addr from the loopback address local (all of
// 127.0.0.0/8 is loopback on Linux), so that a test can play several
// clients.
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Run with the default limits: one address holding 128 connections that
// never finish their headers gets its next connection refused with 503
// and Retry-After, while another address is served.
func TestRunRefusesConnectionsOverTheCap(t *testing.T) {
	t.Parallel()
	s := New(Config{}, backendtest.New(t))
	s.SetReady()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, ln, s, time.Second, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { cancel(); <-done }) // after the connections' cleanups
	addr := ln.Addr().String()
	const perAddress = 128 // DefaultLimits().MaxConnsPerClient
	for range perAddress {
		if _, err := io.WriteString(dialFrom(t, "127.0.0.2", addr), "PROPFIND / HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	over := dialFrom(t, "127.0.0.2", addr)
	_ = over.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds a broken test only
	resp, err := http.ReadResponse(bufio.NewReader(over), nil)
	if err != nil {
		t.Fatalf("connection %d from one address: %v, want a 503", perAddress+1, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("connection %d from one address: %d, Retry-After %q", perAddress+1, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	c := dialFrom(t, "127.0.0.1", addr)
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: %v %v", resp, err)
	}
}

// Run with the default limits: a client with 64 requests in progress
// (uploads that never end) gets 429 with Retry-After for its next one,
// while another client is served.
func TestRunRefusesRequestsOverTheCap(t *testing.T) {
	t.Parallel()
	store := backendtest.New(t)
	hash, err := testPasswordHash()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreatePrincipal(t.Context(), backend.Principal{Name: "alice"}, hash,
		[]backend.Collection{{Kind: backend.KindCalendar, Slug: "default", Components: []string{"VEVENT"}}}); err != nil {
		t.Fatal(err)
	}
	s := New(Config{AuthCacheTTL: time.Hour}, store)
	s.SetReady()
	asked := make(chan struct{}, 100)
	s.auth.store = lookupSignal{s.auth.store, asked}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, ln, s, time.Second, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := ln.Addr().String()
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+testPassword)) + "\r\n"
	const perClient = 64 // DefaultLimits().MaxRequestsPerClient
	for i := range perClient {
		c := dialFrom(t, "127.0.0.3", addr)
		if _, err := fmt.Fprintf(c, "PUT /calendars/alice/default/e%d.ics HTTP/1.1\r\nHost: x\r\n%sContent-Type: text/calendar\r\nContent-Length: 100000\r\n\r\nBEGIN:", i, auth); err != nil {
			t.Fatal(err)
		}
		<-asked // its handler is running
	}
	for _, tc := range []struct {
		local string
		want  int
	}{{"127.0.0.3", http.StatusTooManyRequests}, {"127.0.0.1", http.StatusMultiStatus}} {
		c := dialFrom(t, tc.local, addr)
		if _, err := io.WriteString(c, "PROPFIND /calendars/alice/default/ HTTP/1.1\r\nHost: x\r\nDepth: 0\r\n"+auth+"\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds a broken test only
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.local, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "") {
			t.Fatalf("%s: %d, Retry-After %q; want %d", tc.local, resp.StatusCode, resp.Header.Get("Retry-After"), tc.want)
		}
	}
}
