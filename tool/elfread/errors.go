package elfread

import (
	"fmt"
	"strings"
)

// FormatError is what is wrong with a file, and where: every package that
// reads an ELF file through this one reports a bad file in these words.
type FormatError struct {
	Path        string
	Section     int    // section header index, -1 if the error is not about one
	SectionName string // its name ("" if unknown)
	Off         int64  // offset in the section (or in the file if Section is -1), -1 if none
	Msg         string
}

// Error reads "PATH: section 7 (.symtab): offset 0x40: MSG", leaving out
// the parts that do not apply.
func (e *FormatError) Error() string {
	s := e.Path + ": "
	if e.Section >= 0 {
		s += fmt.Sprintf("section %d (%s): ", e.Section, e.SectionName)
	}
	if e.Off >= 0 {
		s += fmt.Sprintf("offset %#x: ", e.Off)
	}
	return s + e.Msg
}

// Errorf returns a *FormatError about the file as a whole.
func (f *File) Errorf(format string, args ...any) error {
	return &FormatError{Path: f.Name, Section: -1, Off: -1, Msg: fmt.Sprintf(format, args...)}
}

// SectionErrorf returns a *FormatError about section i, at offset off in it
// (-1: no offset).
func (f *File) SectionErrorf(i int, off int64, format string, args ...any) error {
	e := &FormatError{Path: f.Name, Section: i, Off: off, Msg: fmt.Sprintf(format, args...)}
	if i >= 0 && i < len(f.Sections) {
		// A copy: section names point into the mapping, which may be
		// closed before the error is printed.
		e.SectionName = strings.Clone(f.Sections[i].Name)
	}
	return e
}
