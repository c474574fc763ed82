package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteReplacesOnlyOnSuccess(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("after a failed write the file holds %q, want %q", got, "old")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if got, _ := os.ReadFile(p); string(got) != "new" || st.Mode().Perm() != 0o644 {
		t.Fatalf("file holds %q mode %v, want \"new\" 0644", got, st.Mode().Perm())
	}
}

// A pipe (as /dev/stdout often is) must be written through, never renamed over.
func TestWriteToPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	if err := WriteFile(fifo, []byte("through")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through" {
		t.Fatalf("read %q from the pipe", b)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v %v", st.Mode(), err)
	}
}

// Writing the bytes a file already holds leaves it as it is.
func TestWriteSameBytesKeepsFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "plan.json")
	if err := WriteFile(p, []byte("same")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("same")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Fatalf("file rewritten: mtime %v, want %v", st.ModTime(), old)
	}
	if err := WriteFile(p, []byte("new!")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new!" {
		t.Fatalf("file holds %q", b)
	}
}

// A directory of files appears whole: by one rename where there is none
// (or an empty one), file by file into a directory that has files.
func TestDir(t *testing.T) {
	root := t.TempDir()
	write := func(path string, files map[string]string) error {
		d, err := CreateDir(path)
		if err != nil {
			return err
		}
		defer d.Abort()
		for name, data := range files {
			d.Add(name)
			if err := d.WriteFile(name, []byte(data)); err != nil {
				return err
			}
		}
		return d.Commit()
	}
	read := func(path string) string {
		ents, _ := os.ReadDir(path)
		var s []string
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(path, e.Name()))
			s = append(s, e.Name()+"="+string(b))
		}
		return strings.Join(s, " ")
	}
	plans := filepath.Join(root, "plans")
	if err := write(plans, map[string]string{"a": "1", "b": "2"}); err != nil {
		t.Fatal(err)
	}
	if got := read(plans); got != "a=1 b=2" {
		t.Fatalf("new directory holds %q", got)
	}
	if err := write(plans, map[string]string{"b": "3", "c": "4"}); err != nil {
		t.Fatal(err)
	}
	if got := read(plans); got != "a=1 b=3 c=4" {
		t.Fatalf("existing directory holds %q", got)
	}
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	if err := write(empty, map[string]string{"x": "5"}); err != nil {
		t.Fatal(err)
	}
	if got := read(empty); got != "x=5" {
		t.Fatalf("empty directory holds %q", got)
	}
	// A link to an empty directory: the directory is filled, the link kept.
	target := filepath.Join(root, "target")
	os.Mkdir(target, 0o755)
	link := filepath.Join(root, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := write(link, map[string]string{"y": "6"}); err != nil {
		t.Fatal(err)
	}
	if got := read(target); got != "y=6" {
		t.Fatalf("directory behind a link holds %q", got)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link is gone: %v %v", st, err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 4 {
		t.Fatalf("temporary directories left: %v", ents)
	}
}
