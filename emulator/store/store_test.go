package store_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator/store"
)

func TestCommitLoadAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("secret"))
	var b store.Batch
	b.Put("things", "a", map[string]any{"sealed": sealed})
	b.Put("things", "b", "bee")
	b.Append("log", "first")
	b.Append("log", "second")
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	var del store.Batch
	del.Delete("things", "b")
	if err := s.Commit(&del); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(mustRead(t, filepath.Join(dir, store.DBFile)), []byte("secret")) {
		t.Fatal("sealed value in clear")
	}

	s, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	var keys []string
	if err := s.Load("things", func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "a" {
		t.Fatalf("keys %v", keys)
	}
	var log []string
	_ = s.Load("log", func(_ string, v []byte) error { log = append(log, string(v)); return nil })
	if len(log) != 2 || log[0] != `"first"` || log[1] != `"second"` {
		t.Fatalf("log %v", log)
	}
	plain, err := s.Unseal(sealed)
	if err != nil || string(plain) != "secret" {
		t.Fatalf("unseal after reopen: %q %v", plain, err)
	}
	if _, err := s.Unseal(append(sealed[:len(sealed)-1:len(sealed)-1], sealed[len(sealed)-1]^1)); err == nil {
		t.Fatal("a tampered value unsealed")
	}
}

func TestMemory(t *testing.T) {
	s, err := store.Memory()
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	b.Put("x", "k", 1)
	if err := s.Commit(&b); err != nil || s.Persistent() {
		t.Fatal(err)
	}
	n := 0
	_ = s.Load("x", func(string, []byte) error { n++; return nil })
	if n != 0 {
		t.Fatal("memory store kept a value")
	}
	if p, err := s.Unseal(s.Seal([]byte("v"))); err != nil || string(p) != "v" {
		t.Fatal(p, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
