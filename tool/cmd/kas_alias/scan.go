package main

import (
	"errors"
	"io"
)

// TODO(bring-up): replaced by the scan implementation.
func runScan(args []string, stdin io.Reader, stdout io.Writer) error {
	return errors.New("not implemented yet")
}
