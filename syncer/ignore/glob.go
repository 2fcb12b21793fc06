package ignore

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is the type of one glob token.
type kind uint8

const (
	kLit        kind = iota // a literal run of text
	kAny                    // "?": one character, not "/"
	kClass                  // "[...]": one character of a set, not "/"
	kStar                   // "*": any run of characters without "/"
	kDStar                  // "**" ending the pattern after "/" (or alone): anything, "/" included
	kDStarSlash             // "**/" at the start or after "/": zero or more whole directories
)

type token struct {
	kind  kind
	lit   string
	class *charClass
}

// charClass is a bracket expression.
type charClass struct {
	negate bool
	ranges []runeRange
	preds  []func(rune) bool // [:alpha:] and friends
}

type runeRange struct{ lo, hi rune }

func (c *charClass) matches(r rune) bool {
	in := false
	for _, rg := range c.ranges {
		if rg.lo <= r && r <= rg.hi {
			in = true
			break
		}
	}
	if !in {
		for _, p := range c.preds {
			if p(r) {
				in = true
				break
			}
		}
	}
	return in != c.negate
}

var (
	errTrailingBackslash = errors.New(`a trailing "\" escapes nothing`)
	errUnterminatedClass = errors.New(`"[" without a closing "]"`)
)

// classes are the POSIX character classes git's wildmatch knows.
var classes = map[string]func(rune) bool{
	"alnum":  func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) },
	"alpha":  unicode.IsLetter,
	"blank":  func(r rune) bool { return r == ' ' || r == '\t' },
	"cntrl":  unicode.IsControl,
	"digit":  func(r rune) bool { return '0' <= r && r <= '9' },
	"graph":  func(r rune) bool { return unicode.IsGraphic(r) && !unicode.IsSpace(r) },
	"lower":  unicode.IsLower,
	"print":  unicode.IsPrint,
	"punct":  unicode.IsPunct,
	"space":  unicode.IsSpace,
	"upper":  unicode.IsUpper,
	"xdigit": func(r rune) bool { return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F' },
}

// parseGlob turns a pattern (anchoring and trailing slash already removed)
// into tokens.
func parseGlob(s string) ([]token, error) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: kLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return nil, errTrailingBackslash
			}
			_, size := utf8.DecodeRuneInString(s[i+1:])
			lit.WriteString(s[i+1 : i+1+size])
			i += 1 + size
		case '?':
			flush()
			toks = append(toks, token{kind: kAny})
			i++
		case '[':
			cls, n, err := parseClass(s[i:])
			if err != nil {
				return nil, err
			}
			if cls == nil {
				lit.WriteByte('[')
				i++
				continue
			}
			flush()
			toks = append(toks, token{kind: kClass, class: cls})
			i += n
		case '*':
			j := i
			for j < len(s) && s[j] == '*' {
				j++
			}
			flush()
			// "**" only spans directories when it is a whole path
			// component; elsewhere it is a plain "*", as in git.
			if j-i >= 2 && (i == 0 || s[i-1] == '/') && (j == len(s) || s[j] == '/') {
				if j == len(s) {
					toks = append(toks, token{kind: kDStar})
					i = j
				} else {
					toks = append(toks, token{kind: kDStarSlash})
					i = j + 1
				}
				continue
			}
			toks = append(toks, token{kind: kStar})
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, nil
}

// parseClass parses the bracket expression at the start of s and returns
// it with its length in bytes. A nil class and no error means "[" is a
// literal here (git treats "[" that cannot start a set that way only in
// "[:" without ":]"; an unterminated set is an error).
func parseClass(s string) (*charClass, int, error) {
	c := &charClass{}
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		c.negate = true
		i++
	}
	// readChar reads one possibly escaped character at s[i].
	readChar := func() (rune, error) {
		if s[i] == '\\' {
			i++
			if i >= len(s) {
				return 0, errUnterminatedClass
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		return r, nil
	}
	for first := true; ; first = false {
		if i >= len(s) {
			return nil, 0, errUnterminatedClass
		}
		if s[i] == ']' && !first {
			return c, i + 1, nil
		}
		if s[i] == '[' && i+1 < len(s) && s[i+1] == ':' {
			end := strings.IndexByte(s[i+2:], ']')
			if end < 0 {
				return nil, 0, errUnterminatedClass
			}
			name := s[i+2 : i+2+end]
			if strings.HasSuffix(name, ":") {
				name = strings.TrimSuffix(name, ":")
				pred, ok := classes[name]
				if !ok {
					return nil, 0, errors.New(`unknown character class "[:` + name + `:]"`)
				}
				c.preds = append(c.preds, pred)
				i += 2 + end + 1
				continue
			}
			// "[:" without ":]": a literal "[" in the set, as in git.
		}
		lo, err := readChar()
		if err != nil {
			return nil, 0, err
		}
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			i++
			if hi, err = readChar(); err != nil {
				return nil, 0, err
			}
		}
		c.ranges = append(c.ranges, runeRange{lo, hi})
	}
}

// match reports whether the whole of text matches toks. Characters are
// runes (git compares bytes; for ASCII names that is the same, and for
// other names "?" meaning one character is what a user expects).
func match(toks []token, text string) bool {
	m := globMatch{toks: toks, text: text}
	stars := 0
	for _, t := range toks {
		if t.kind >= kStar {
			stars++
		}
	}
	// With two or more stars plain backtracking can take exponential
	// time; remembering failed (token, offset) pairs bounds it to
	// tokens*len(text) steps.
	if stars >= 2 {
		m.memo = make([]bool, (len(toks)+1)*(len(text)+1))
	}
	return m.at(0, 0)
}

type globMatch struct {
	toks []token
	text string
	memo []bool // true: (pi, ti) is known not to match
}

func (m *globMatch) at(pi, ti int) bool {
	if m.memo == nil {
		return m.step(pi, ti)
	}
	idx := pi*(len(m.text)+1) + ti
	if m.memo[idx] {
		return false
	}
	if m.step(pi, ti) {
		return true
	}
	m.memo[idx] = true
	return false
}

func (m *globMatch) step(pi, ti int) bool {
	text := m.text
	for ; pi < len(m.toks); pi++ {
		t := &m.toks[pi]
		switch t.kind {
		case kLit:
			if !strings.HasPrefix(text[ti:], t.lit) {
				return false
			}
			ti += len(t.lit)
		case kAny, kClass:
			if ti >= len(text) {
				return false
			}
			r, size := utf8.DecodeRuneInString(text[ti:])
			if r == '/' || (t.kind == kClass && !t.class.matches(r)) {
				return false
			}
			ti += size
		case kStar:
			if pi == len(m.toks)-1 {
				return !strings.Contains(text[ti:], "/")
			}
			for j := ti; ; {
				if m.at(pi+1, j) {
					return true
				}
				if j >= len(text) || text[j] == '/' {
					return false
				}
				_, size := utf8.DecodeRuneInString(text[j:])
				j += size
			}
		case kDStar:
			if pi == len(m.toks)-1 {
				return true
			}
			for j := ti; j <= len(text); j++ {
				if m.at(pi+1, j) {
					return true
				}
			}
			return false
		case kDStarSlash:
			if m.at(pi+1, ti) {
				return true
			}
			for j := ti; j < len(text); j++ {
				if text[j] == '/' && m.at(pi+1, j+1) {
					return true
				}
			}
			return false
		}
	}
	return ti == len(text)
}
