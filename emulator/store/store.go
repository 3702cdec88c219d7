// Package store persists the emulator's state: an embedded bbolt database
// in a data directory, written through on every acknowledged change, or
// nothing at all for an in-memory emulator. It also seals secret values
// (Glow key values, Gateflow credentials) with AES-GCM so that they are
// encrypted at rest.
package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// File names inside the data directory.
const (
	DBFile  = "emulator.db"
	KeyFile = "emulator.key" // 32 random bytes, mode 0600: the AES-256 key
)

// Store is the emulator's persistence. The zero value is not usable; use
// Open or Memory.
type Store struct {
	db   *bolt.DB // nil in memory
	aead cipher.AEAD
}

// Memory returns a store that keeps nothing: Commit succeeds at once and
// Load finds nothing. Secrets are still sealed, with a key that lives as long
// as the process.
func Memory() (*Store, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return newStore(nil, key)
}

// Open opens (creating it if needed) the database in dir. Only one process
// may hold it: a second Open of the same dir fails after a few seconds.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	key, err := loadOrCreateKey(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{Timeout: 3 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", filepath.Join(dir, DBFile), err)
	}
	s, err := newStore(db, key)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func newStore(db *bolt.DB, key []byte) (*Store, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Store{db: db, aead: aead}, nil
}

func loadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("store: %s holds %d bytes, want 32", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return key, f.Close()
}

// Persistent reports whether the store writes to disk.
func (s *Store) Persistent() bool { return s.db != nil }

// Close closes the database.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

// Batch is a set of writes committed together: all of them or none.
type Batch struct {
	ops []op
}

type op struct {
	bucket, key string
	value       any // nil for a delete
	appendSeq   bool
}

// Put stores v, encoded as JSON, under key in bucket.
func (b *Batch) Put(bucket, key string, v any) {
	b.ops = append(b.ops, op{bucket: bucket, key: key, value: v})
}

// Delete removes key from bucket.
func (b *Batch) Delete(bucket, key string) {
	b.ops = append(b.ops, op{bucket: bucket, key: key})
}

// Append stores v under the bucket's next sequence number, so that Load
// returns appended values in order.
func (b *Batch) Append(bucket string, v any) {
	b.ops = append(b.ops, op{bucket: bucket, value: v, appendSeq: true})
}

// Len is the number of writes in the batch.
func (b *Batch) Len() int { return len(b.ops) }

// Commit writes the batch in one transaction and syncs it to disk before
// returning, so that a caller may acknowledge the change.
func (s *Store) Commit(b *Batch) error {
	if s.db == nil || len(b.ops) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, o := range b.ops {
			bk, err := tx.CreateBucketIfNotExists([]byte(o.bucket))
			if err != nil {
				return err
			}
			key := []byte(o.key)
			if o.appendSeq {
				seq, err := bk.NextSequence()
				if err != nil {
					return err
				}
				key = binary.BigEndian.AppendUint64(nil, seq)
			}
			if o.value == nil {
				if err := bk.Delete(key); err != nil {
					return err
				}
				continue
			}
			data, err := json.Marshal(o.value)
			if err != nil {
				return fmt.Errorf("store: encode %s/%s: %w", o.bucket, o.key, err)
			}
			if err := bk.Put(key, data); err != nil {
				return err
			}
		}
		return nil
	})
}

// Load calls fn for every value of bucket, in key order. Keys written with
// Append are passed as "".
func (s *Store) Load(bucket string, fn func(key string, data []byte) error) error {
	if s.db == nil {
		return nil
	}
	return s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(bucket))
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			return fn(string(k), v)
		})
	})
}

// Seal encrypts a secret for storage.
func (s *Store) Seal(plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return s.aead.Seal(nonce, nonce, plain, nil)
}

// Unseal decrypts what Seal returned.
func (s *Store) Unseal(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("store: sealed value too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("store: cannot decrypt a sealed value (was %s replaced?): %w", KeyFile, err)
	}
	return plain, nil
}
