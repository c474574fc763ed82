package main

import (
	"errors"
	"io"
)

// TODO(bring-up): replaced by the nm implementation.
func runNM(args []string, stdin io.Reader, stdout io.Writer) error {
	return errors.New("not implemented yet")
}
