package main

import (
	"errors"
	"os"
	"path/filepath"
)

// replaceFile writes path through a temporary file in the same directory
// and a rename, so that an interrupted run never leaves a truncated file
// where a whole one is expected: path is either as before or complete.
func replaceFile(path, pattern string, perm os.FileMode, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return err
	}
	werr := write(tmp)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		// The write error is what matters; the half-written temporary
		// file is removed on a best-effort basis.
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		_ = os.Remove(tmp.Name()) // the chmod error is what matters
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name()) // the rename error is what matters
		return err
	}
	return nil
}
