package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// SourceFile is one file a configuration read: a configuration file, or a
// file read by file().
type SourceFile struct {
	// Name is the file's path relative to the configuration directory,
	// with slashes: "main.hcl", "prompts/system.txt".
	Name    string
	Content []byte
}

// Bounds on what a configuration reads. A plan file embeds every file the
// configuration read, so these also bound a plan's size. A file over a
// bound is reported, never read past it.
const (
	// MaxConfigFileSize bounds one configuration file (*.hcl, *.hcl.json).
	MaxConfigFileSize = 64 << 20
	// MaxConfigTotalSize bounds all the files of one configuration
	// together: its configuration files and the files file() reads.
	MaxConfigTotalSize = 256 << 20
	// MaxFileFunctionSize bounds one file read by file(): it holds a
	// value (a prompt, a JSON document), not a configuration.
	MaxFileFunctionSize = 1 << 20
)

// fileProblem says why a file was not read, as the end of a sentence that
// starts with the file's name.
type fileProblem string

func (p fileProblem) Error() string { return string(p) }

// statRegular returns what fsys says of name, or a fileProblem when name
// is not a regular file. It never opens name: opening a named pipe blocks
// until something writes to it, and a device may never end.
func statRegular(fsys fs.FS, name string) (fs.FileInfo, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, describeStatError(fsys, name, err)
	}
	mode := info.Mode()
	if mode.IsRegular() {
		return info, nil
	}
	var what string
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0, mode&fs.ModeCharDevice != 0:
		what = "a device"
	case mode&fs.ModeSymlink != 0:
		what = "a symbolic link"
	default:
		what = "a special file"
	}
	return nil, fileProblem("is not a regular file (it is " + what + ")")
}

// describeStatError words a failed stat. os.Root does not export the error
// for a symbolic link leading out of the directory, so such a link is
// recognised by looking at each step of the path without following it.
func describeStatError(fsys fs.FS, name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fileProblem("does not exist")
	case errors.Is(err, fs.ErrPermission):
		return fileProblem("cannot be read (permission denied)")
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		info, lerr := fs.Lstat(fsys, prefix)
		if lerr != nil || info.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if prefix == name {
			return fileProblem("is not a regular file of the configuration directory (it is a symbolic link that does not lead to a file inside the directory)")
		}
		return fileProblem(fmt.Sprintf("is not a regular file of the configuration directory (%s is a symbolic link that does not lead inside the directory)", prefix))
	}
	return fileProblem("cannot be read")
}

// readLimited reads name, a regular file, refusing more than limit bytes.
// The limit applies to what is read, not to what stat said, so a file
// that grows in between is still bounded.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, describeStatError(fsys, name, err)
	}
	defer f.Close() //nolint:errcheck // opened to read: closing it reports nothing to act on
	// The buffer starts at the size stat gives: io.ReadAll grows its own by
	// a quarter at a time, which allocated 9 times the configuration's
	// bytes at 100,000 providers. bytes.MinRead more lets ReadFrom see EOF
	// without growing it.
	var buf bytes.Buffer
	if info, err := f.Stat(); err == nil && info.Size() > 0 {
		buf.Grow(int(min(info.Size(), limit)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, fileProblem("cannot be read")
	}
	b := buf.Bytes()
	if int64(len(b)) > limit {
		return nil, sizeError{limit: limit}
	}
	return b, nil
}

// sizeError is a file over limit, or (total) a file that would take the
// configuration over MaxConfigTotalSize.
type sizeError struct {
	limit int64
	total bool
}

func (e sizeError) Error() string {
	if e.total {
		return "would take the configuration's files over " + sizeString(e.limit) + " together"
	}
	return "is larger than " + sizeString(e.limit)
}

// sizeString renders a bound for a message: 64 MiB, 1 MiB, 4096 bytes.
func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MemFS returns a read-only file system holding files, so that a
// configuration recorded in Config.Files (embedded in a plan) can be loaded
// again with LoadOptions.FS. Directories are implied by the names. A name
// that is not a valid fs.FS path, or that clashes with a file or directory
// already given, is left out. The contents are copied.
func MemFS(files []SourceFile) fs.FS {
	m := &memFS{files: map[string][]byte{}, dirs: map[string]map[string]bool{".": {}}}
	for _, f := range files {
		if !fs.ValidPath(f.Name) || f.Name == "." || m.files[f.Name] != nil || m.dirs[f.Name] != nil {
			continue
		}
		if !m.addParents(f.Name) {
			continue
		}
		m.files[f.Name] = append([]byte{}, f.Content...)
	}
	return m
}

// memFS is MemFS's file system. It never changes after MemFS returns, so
// it is safe for concurrent use.
type memFS struct {
	files map[string][]byte
	// dirs maps each directory to the names of its entries.
	dirs map[string]map[string]bool
}

// addParents records name in every directory above it, unless one of them
// is a file.
func (m *memFS) addParents(name string) bool {
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if m.files[p] != nil {
			return false
		}
	}
	child := name
	for {
		dir := path.Dir(child)
		if m.dirs[dir] == nil {
			m.dirs[dir] = map[string]bool{}
		}
		m.dirs[dir][path.Base(child)] = true
		if dir == "." {
			return true
		}
		child = dir
	}
}

func (m *memFS) Open(name string) (fs.File, error) {
	info, err := m.stat("open", name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		entries, _ := m.ReadDir(name)
		return &memDir{info: info, entries: entries}, nil
	}
	return &memFile{info: info, r: bytes.NewReader(m.files[name])}, nil
}

func (m *memFS) Stat(name string) (fs.FileInfo, error) { return m.stat("stat", name) }

func (m *memFS) stat(op, name string) (memInfo, error) {
	if !fs.ValidPath(name) {
		return memInfo{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if b, ok := m.files[name]; ok {
		return memInfo{name: path.Base(name), size: int64(len(b))}, nil
	}
	if m.dirs[name] != nil {
		return memInfo{name: path.Base(name), dir: true}, nil
	}
	return memInfo{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

func (m *memFS) ReadFile(name string) ([]byte, error) {
	if _, err := m.stat("readfile", name); err != nil {
		return nil, err
	}
	b, ok := m.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errors.New("is a directory")}
	}
	// The caller may modify the result: the file system must not change.
	return append([]byte{}, b...), nil
}

func (m *memFS) ReadDir(name string) ([]fs.DirEntry, error) {
	info, err := m.stat("readdir", name)
	if err != nil {
		return nil, err
	}
	if !info.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	names := slices.Sorted(maps.Keys(m.dirs[name]))
	out := make([]fs.DirEntry, 0, len(names))
	for _, n := range names {
		full := n
		if name != "." {
			full = name + "/" + n
		}
		ci, _ := m.stat("readdir", full)
		out = append(out, fs.FileInfoToDirEntry(ci))
	}
	return out, nil
}

// memInfo describes a file or directory of a memFS.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

type memFile struct {
	info memInfo
	r    *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

// ReadAt and Seek let a caller use a file as it would an *os.File.
func (f *memFile) ReadAt(b []byte, off int64) (int, error) { return f.r.ReadAt(b, off) }
func (f *memFile) Seek(off int64, whence int) (int64, error) {
	return f.r.Seek(off, whence)
}

type memDir struct {
	info    memInfo
	entries []fs.DirEntry
	read    int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}
func (d *memDir) Close() error { return nil }

func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.read:]
	if n <= 0 {
		d.read = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.read += n
	return rest[:n], nil
}
