// Package migrations reads the embedded NNNN_name.sql migration files of the
// user databases (shared by userdb/sqlite and userdb/postgres).
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// File is one migrations/NNNN_name.sql file.
type File struct {
	Version int
	Name    string
	SQL     string
}

// Load reads every migrations/*.sql file of fsys in version order; names
// must be NNNN_name.sql with a positive, unique version.
func Load(fsys fs.FS) ([]File, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []File
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, File{Version: v, Name: label, SQL: string(body)})
	}
	slices.SortFunc(ms, func(a, b File) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations have version %d", ms[i].Version)
		}
	}
	return ms, nil
}
