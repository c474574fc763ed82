package alias

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ReadMap reads an alias map as WriteMapTSV or WriteMapJSON wrote it (a
// JSON document starts with '{'); name is used in errors. It must be of
// this format, kas_alias-map/2.
func ReadMap(r io.Reader, name string) ([]MapEntry, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(1)
	if err != nil {
		return nil, fmt.Errorf("%s: empty alias map", name)
	}
	if first[0] == '{' {
		var doc mapDoc
		dec := json.NewDecoder(br)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: not a JSON alias map: %v", name, err)
		}
		if doc.Format != MapFormat {
			return nil, fmt.Errorf("%s: format %q, want %q (scan again with this kas_alias)", name, doc.Format, MapFormat)
		}
		return doc.Aliases, nil
	}
	var out []MapEntry
	var col map[string]int
	sc := bufio.NewScanner(br)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		if col == nil {
			col = map[string]int{}
			for i, c := range fields {
				col[c] = i
			}
			for _, c := range MapColumns {
				if _, ok := col[c]; !ok {
					return nil, fmt.Errorf("%s: line 1: no %q column: not a %s alias map (scan again with this kas_alias)", name, c, MapFormat)
				}
			}
			continue
		}
		if len(fields) != len(col) {
			return nil, fmt.Errorf("%s: line %d: %d fields, the header has %d", name, n, len(fields), len(col))
		}
		var e MapEntry
		v := e.fields()
		for i, c := range MapColumns {
			*v[i] = fields[col[c]]
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if col == nil {
		return nil, fmt.Errorf("%s: empty alias map", name)
	}
	return out, nil
}
