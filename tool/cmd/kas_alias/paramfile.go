package main

import (
	"fmt"
	"os"
	"strings"
)

// expandParamFiles replaces each "@FILE" argument with FILE's lines, one
// argument a line: Bazel's multiline param files, used for module lists
// longer than a command line.
func expandParamFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "@") || len(a) == 1 {
			out = append(out, a)
			continue
		}
		data, err := os.ReadFile(a[1:])
		if err != nil {
			return nil, fmt.Errorf("param file: %w", err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if line != "" {
				out = append(out, line)
			}
		}
	}
	return out, nil
}
