package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// DefaultPath returns where the TOML config lives:
// $XDG_CONFIG_HOME/autosync/config.toml (~/.config/... when unset) on Linux
// and the BSDs, ~/Library/Application Support/autosync/config.toml on macOS,
// %AppData%\autosync\config.toml on Windows.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w", err)
	}
	return filepath.Join(dir, "autosync", "config.toml"), nil
}

// Load reads the TOML config at path, applies the defaults and validates
// it. A file that cannot be read gives the os error (errors.Is(err,
// fs.ErrNotExist) for a missing one); a file with mistakes gives an *Error
// listing every problem as "FILE:LINE: KEY: what to do".
//
// Relative folder paths and ca_file are taken relative to the file's
// directory, so that the meaning of the file does not depend on where
// autosync was started. Keys written with a zero value ("0s") keep it;
// only absent keys get the defaults.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parseTOML(abs, data)
}

// parseTOML is Load without the file system: file names the source in
// problems and anchors relative paths.
func parseTOML(file string, data []byte) (*Config, error) {
	ps := &problems{file: file}

	// go-toml's own pass finds the syntax errors and what TOML itself
	// forbids (a key defined twice), with their positions.
	var probe map[string]any
	if err := toml.Unmarshal(data, &probe); err != nil {
		line := errorLine(err)
		if line == 0 {
			// go-toml has no position for a key defined twice; the
			// walker finds it with its line.
			w := &walker{ps: ps, lines: map[string]int{}, count: map[string]int{}}
			w.walk(data)
			if len(ps.list) > 0 {
				return nil, ps.err()
			}
		}
		ps.add(line, "", "%s (TOML syntax%s)", strings.TrimPrefix(err.Error(), "toml: "), syntaxHint(data, line))
		return nil, ps.err()
	}

	// Our pass knows the schema: unknown keys, wrong types and bad values,
	// each with the full key ("folder[1].commit_delay") and its line.
	w := &walker{ps: ps, lines: map[string]int{}, count: map[string]int{}}
	w.walk(data)
	if err := ps.err(); err != nil {
		return nil, err
	}

	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		// The walker checks what the decoder does; reaching this means
		// they disagree, so say what go-toml said, with its line.
		ps.add(errorLine(err), "", "%s", strings.TrimPrefix(err.Error(), "toml: "))
		return nil, ps.err()
	}
	c.Source = file
	inFile := func(key string) bool { _, ok := w.lines[key]; return ok }
	c.applyDefaults(inFile, filepath.Dir(file))
	c.validate(ps, func(key string) (string, int) { return key, w.line(key) })
	if err := ps.err(); err != nil {
		return nil, err
	}
	return &c, nil
}

// syntaxHint guesses the usual mistakes from the line go-toml stopped at,
// since its messages describe the parser's state rather than the fix.
func syntaxHint(data []byte, line int) string {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return "; see https://toml.io"
	}
	key, value, ok := strings.Cut(lines[line-1], "=")
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	switch {
	case !ok || strings.HasPrefix(key, "["):
		return "; see https://toml.io"
	case value == "" || strings.HasPrefix(value, "#"):
		return fmt.Sprintf(": the value after %s = is missing", key)
	case strings.HasPrefix(value, `"`) && strings.Contains(value, `\`):
		return ": in \"...\" a backslash starts an escape; write Windows paths in single quotes, like 'C:\\Users\\me', or with /"
	case strings.HasPrefix(value, `"`) && strings.Count(value, `"`) == 1:
		return ": the string has no closing quote"
	case strings.IndexAny(value[:1], "\"'[{+-0123456789") < 0 && !slices.Contains([]string{"true", "false", "inf", "nan"}, value):
		return fmt.Sprintf(": text needs quotes, like %s = \"%s\"", key, value)
	}
	return "; see https://toml.io"
}

// errorLine digs the line out of a go-toml error (0 when it has none).
func errorLine(err error) int {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return line
	}
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) && len(sm.Errors) > 0 {
		line, _ := sm.Errors[0].Position()
		return line
	}
	return 0
}

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[Duration]()
	sizeType     = reflect.TypeFor[Size]()
)

// walker goes through the document's expressions with go-toml's parser,
// which keeps positions, and checks every key and value against the Config
// struct (found by its toml tags, so new fields are known at once).
type walker struct {
	p     unstable.Parser
	ps    *problems
	lines map[string]int // full key or table ("folder[1]") -> line
	count map[string]int // array of tables -> elements seen so far
}

// line returns the line of key, or of the nearest table around it that is
// in the file (a missing key is reported where its table starts).
func (w *walker) line(key string) int {
	for key != "" {
		if l, ok := w.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func (w *walker) walk(data []byte) {
	w.p.Reset(data)
	table, tableType := "", configType
	for w.p.NextExpression() {
		expr := w.p.Expression()
		switch expr.Kind {
		case unstable.Table, unstable.ArrayTable:
			table, tableType = w.table(expr)
		case unstable.KeyValue:
			w.keyValue(expr, table, tableType)
		}
	}
}

// keyLine returns the line where node's key starts.
func (w *walker) keyLine(expr *unstable.Node) int {
	it := expr.Key()
	if !it.Next() {
		return 0
	}
	return w.p.Shape(it.Node().Raw).Start.Line
}

// keyParts returns the parts of a dotted key.
func keyParts(expr *unstable.Node) []string {
	var parts []string
	it := expr.Key()
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// table handles [a.b] and [[a]] headers and returns the table's path and
// struct type (nil for a table already reported as wrong).
func (w *walker) table(expr *unstable.Node) (string, reflect.Type) {
	line := w.keyLine(expr)
	parts := keyParts(expr)
	path, t := "", configType
	for i, part := range parts {
		name := join(path, part)
		f, ok := fieldByTag(t, part)
		if !ok {
			w.ps.add(line, name, "unknown table%s", w.known(t, part))
			return "", nil
		}
		ft := deref(f.Type)
		last := i == len(parts)-1
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			if !last || expr.Kind != unstable.ArrayTable {
				w.ps.add(line, name, "write [[%s]] (two pairs of brackets), one for each entry", name)
				return "", nil
			}
			path = fmt.Sprintf("%s[%d]", name, w.count[name])
			w.count[name]++
			t = ft.Elem()
		case ft.Kind() == reflect.Struct:
			if last && expr.Kind == unstable.ArrayTable {
				w.ps.add(line, name, "write [%s] (one pair of brackets): there is only one", name)
				return "", nil
			}
			path, t = name, ft
		default:
			w.ps.add(line, name, "is a setting, not a table: write %s = ...", part)
			return "", nil
		}
	}
	if first, dup := w.lines[path]; dup && expr.Kind == unstable.Table {
		w.ps.add(line, path, "[%s] is already on line %d: merge the two tables", path, first)
		return "", nil
	}
	w.lines[path] = line
	return path, t
}

// keyValue checks one "key = value" inside the table at path of type t.
func (w *walker) keyValue(expr *unstable.Node, path string, t reflect.Type) {
	if t == nil {
		return // inside a table already reported
	}
	line := w.keyLine(expr)
	parts := keyParts(expr)
	for i, part := range parts {
		name := join(path, part)
		f, ok := fieldByTag(t, part)
		if !ok {
			w.ps.add(line, name, "unknown key%s", w.known(t, part))
			return
		}
		if i == len(parts)-1 {
			if first, dup := w.lines[name]; dup {
				w.ps.add(line, name, "is already set on line %d: keep one of them", first)
				return
			}
			w.lines[name] = line
			w.value(expr.Value(), name, f.Type, line)
			return
		}
		ft := deref(f.Type)
		if ft.Kind() != reflect.Struct {
			w.ps.add(line, name, "is not a table: write %s = ...", part)
			return
		}
		path, t = name, ft
	}
}

// value checks a value against the Go type it will be decoded into.
func (w *walker) value(v *unstable.Node, name string, t reflect.Type, line int) {
	t = deref(t)
	switch {
	case t == durationType:
		if v.Kind != unstable.String && v.Kind != unstable.Integer {
			w.ps.add(line, name, "must be a duration in quotes, like \"2s\" (got %s)", kindName(v.Kind))
			return
		}
		w.text(v, name, new(Duration), line)
	case t == sizeType:
		if v.Kind != unstable.String && v.Kind != unstable.Integer && v.Kind != unstable.Float {
			w.ps.add(line, name, "must be a size, like \"100MB\" (got %s)", kindName(v.Kind))
			return
		}
		w.text(v, name, new(Size), line)
	case t.Kind() == reflect.String:
		if v.Kind != unstable.String {
			w.ps.add(line, name, "must be a string in quotes (got %s)", kindName(v.Kind))
		}
	case t.Kind() == reflect.Bool:
		if v.Kind != unstable.Bool {
			w.ps.add(line, name, "must be true or false (got %s)", kindName(v.Kind))
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		if v.Kind != unstable.Array {
			w.ps.add(line, name, "must be a list of strings, like [\"a\", \"b\"] (got %s)", kindName(v.Kind))
			return
		}
		for it := v.Children(); it.Next(); {
			if it.Node().Kind != unstable.String {
				w.ps.add(line, name, "must be a list of strings, like [\"a\", \"b\"] (an element is %s)", kindName(it.Node().Kind))
				return
			}
		}
	case t.Kind() == reflect.Struct:
		if v.Kind != unstable.InlineTable {
			w.ps.add(line, name, "must be a table (got %s)", kindName(v.Kind))
			return
		}
		w.lines[name] = line
		for it := v.Children(); it.Next(); {
			w.keyValue(it.Node(), name, t)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if v.Kind != unstable.Array {
			w.ps.add(line, name, "write [[%s]] tables (got %s)", name, kindName(v.Kind))
			return
		}
		for it := v.Children(); it.Next(); {
			el := it.Node()
			elName := fmt.Sprintf("%s[%d]", name, w.count[name])
			w.count[name]++
			if el.Kind != unstable.InlineTable {
				w.ps.add(line, elName, "must be a table (got %s)", kindName(el.Kind))
				continue
			}
			w.lines[elName] = line
			for kv := el.Children(); kv.Next(); {
				w.keyValue(kv.Node(), elName, t.Elem())
			}
		}
	}
}

// text checks a value through the type's own UnmarshalText, as the decoder
// will call it (go-toml hands it the raw digits of an integer too).
func (w *walker) text(v *unstable.Node, name string, u encoding.TextUnmarshaler, line int) {
	if err := u.UnmarshalText(v.Data); err != nil {
		w.ps.add(line, name, "%v", err)
	}
}

// known lists the keys of t for an "unknown key" message, with a guess at
// the one that was meant.
func (w *walker) known(t reflect.Type, key string) string {
	var names []string
	for i := range t.NumField() {
		if n := tagName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	msg := " (valid here: " + strings.Join(names, ", ") + ")"
	best, bestD := "", 3 // more than two edits away is not a typo
	for _, n := range names {
		if d := editDistance(strings.ToLower(key), n); d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" {
		return fmt.Sprintf(": did you mean %q?%s", best, msg)
	}
	return msg
}

func tagName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if tag == "-" {
		return ""
	}
	return tag
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); tagName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func kindName(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "a number"
	case unstable.Float:
		return "a decimal number"
	case unstable.Bool:
		return "true/false"
	case unstable.Array:
		return "a list"
	case unstable.InlineTable:
		return "a table"
	default:
		return "a date or time"
	}
}

// editDistance is the Levenshtein distance, for "did you mean".
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
