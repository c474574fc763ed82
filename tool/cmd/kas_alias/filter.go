package main

import (
	"errors"
	"io"
)

// TODO(bring-up): replaced by the filter implementation.
func runFilter(args []string, stdin io.Reader, stdout io.Writer) error {
	return errors.New("not implemented yet")
}
