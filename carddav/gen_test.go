package carddav

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A generator of address books and queries for the tests that compare the
// index with the exact matcher (plan_test.go, differential_test.go): cards
// in vCard 3.0 and 4.0 with non-ASCII names in composed and decomposed
// form, compatibility characters (ﬁ, fullwidth letters, ǅ), several EMAIL
// and TEL each, grouped properties, escapes, folded lines and group
// cards; and filters that search them the way users do.

var (
	genGiven = []string{"Anna", "Łukasz", "Jürgen", "Øyvind", "Zoë", "José", "ǅemal", "Ἀθηνᾶ", "Иван", "Ｊｏｈｎ",
		"ﬁona", "İlker", "Åsa", "A\u030asa", "김민준", "太郎", "Chloé", "CHLOE", "chloe", "Mary-Jane", "Ⅻ", "ß", "SS"}
	genFamily = []string{"Müller", "MÜLLER", "muller", "Mu\u0308ller", "Straße", "STRASSE", "O'Brien", "Doe\\, Jr.",
		"Nguyễn", "Σωκράτης", "東京", "Smith", "smith", "100% Pure", "under_score", "back\\\\slash", "Ǆurić", "Ödegaard"}
	genDomains = []string{"example.org", "EXAMPLE.com", "beispiel.de", "müller.example", "work.test"}
	genOrgs    = []string{"ACME Corp.;Research", "Example Corp;", "Großhandel GmbH", "Ｆｕｌｌ Ｗｉｄｔｈ", "Ltd\\; Co"}
	genTypes   = []string{"work", "home", "cell", "voice", "pref", "INTERNET", "WORK", "fax"}
	genNotes   = []string{"likes tea", "Café au lait", "ﬁne ﬁsh", "new\\nline"}
)

// genCard returns a card's text (CRLF) and its UID.
func genCard(r *rand.Rand, i int) (string, string) {
	v4 := r.IntN(3) == 0
	uid := fmt.Sprintf("uid-%05d-%s", i, pick(r, []string{"a", "B", "ü", "x_y", "50%"}))
	given, family := pick(r, genGiven), pick(r, genFamily)
	lines := []string{"BEGIN:VCARD"}
	if v4 {
		lines = append(lines, "VERSION:4.0")
	} else {
		lines = append(lines, "VERSION:3.0")
	}
	lines = append(lines, "UID:"+uid)
	group := r.IntN(25) == 0
	switch {
	case group && v4:
		lines = append(lines, "KIND:group", "FN:"+family+" family")
		for j := range r.IntN(4) {
			lines = append(lines, fmt.Sprintf("MEMBER:urn:uuid:uid-%05d", (i+j+1)%1000))
		}
	case group:
		lines = append(lines, "N:"+family, "FN:"+family+" family", "X-ADDRESSBOOKSERVER-KIND:group")
		for j := range r.IntN(4) {
			lines = append(lines, fmt.Sprintf("X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:uid-%05d", (i+j+1)%1000))
		}
	default:
		if v4 || r.IntN(8) != 0 {
			lines = append(lines, "FN:"+given+" "+family)
		}
		lines = append(lines, "N:"+family+";"+given+";;;")
	}
	for j := range r.IntN(4) {
		name := "EMAIL"
		if r.IntN(3) == 0 {
			name = fmt.Sprintf("item%d.EMAIL", j+1)
		}
		params := ""
		for range r.IntN(3) {
			params += ";TYPE=" + pick(r, genTypes)
		}
		local := strings.ToLower(strings.Fields(strings.ReplaceAll(given, "\\", ""))[0])
		lines = append(lines, fmt.Sprintf("%s%s:%s.%d@%s", name, params, local, j, pick(r, genDomains)))
		if strings.HasPrefix(name, "item") {
			lines = append(lines, fmt.Sprintf("item%d.X-ABLabel:_$!<Other>!$_", j+1))
		}
	}
	for j := range r.IntN(3) {
		lines = append(lines, fmt.Sprintf("TEL;TYPE=%s:+49 %d %07d", pick(r, genTypes), 30+j, r.IntN(10000000)))
	}
	if r.IntN(3) == 0 {
		lines = append(lines, "NICKNAME:"+pick(r, genGiven)+","+pick(r, genGiven))
	}
	if r.IntN(3) == 0 {
		lines = append(lines, "ORG:"+pick(r, genOrgs))
	}
	if r.IntN(4) == 0 {
		lines = append(lines, "NOTE:"+pick(r, genNotes))
	}
	if r.IntN(4) == 0 {
		lines = append(lines, "CATEGORIES:"+pick(r, []string{"friends", "Work,VIP", "Familie"}))
	}
	lines = append(lines, "END:VCARD")
	var b strings.Builder
	for _, l := range lines {
		foldLine(&b, l)
	}
	return b.String(), uid
}

// genProps are the properties genQuery filters on: the indexed ones and
// some that are not.
var genProps = []string{"FN", "FN", "N", "EMAIL", "EMAIL", "TEL", "NICKNAME", "ORG", "UID", "KIND",
	"X-ADDRESSBOOKSERVER-KIND", "NOTE", "CATEGORIES", "item1.EMAIL", "X-ABLabel", "MEMBER"}

// genQuery returns an addressbook-query body whose filter searches the
// cards: needles cut from real values, in another case or normalization
// form, or made up.
func genQuery(r *rand.Rand, cards []*vcardData) string {
	var b strings.Builder
	b.WriteString(`<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop>`)
	fmt.Fprintf(&b, `<C:filter test="%s">`, pick(r, []string{"anyof", "allof"}))
	for range 1 + r.IntN(2) {
		prop := pick(r, genProps)
		fmt.Fprintf(&b, `<C:prop-filter name="%s" test="%s">`, prop, pick(r, []string{"anyof", "allof"}))
		switch r.IntN(14) {
		case 0:
			b.WriteString(`<C:is-not-defined/>`)
		case 1: // existence only
		default:
			for range 1 + r.IntN(4)/3 {
				if r.IntN(5) == 0 {
					fmt.Fprintf(&b, `<C:param-filter name="TYPE">`)
					if r.IntN(5) == 0 {
						b.WriteString(`<C:is-not-defined/>`)
					} else {
						fmt.Fprintf(&b, `<C:text-match match-type="equals" negate-condition="%s">%s</C:text-match>`,
							pick(r, []string{"no", "no", "yes"}), pick(r, genTypes))
					}
					b.WriteString(`</C:param-filter>`)
					continue
				}
				attrs := ""
				if c := r.IntN(5); c < 3 {
					attrs += ` collation="` + []string{"i;unicode-casemap", "i;ascii-casemap", "i;octet"}[c] + `"`
				}
				if r.IntN(8) == 0 {
					attrs += ` negate-condition="yes"`
				}
				if m := r.IntN(6); m < 4 {
					attrs += ` match-type="` + []string{"equals", "contains", "starts-with", "ends-with"}[m] + `"`
				}
				fmt.Fprintf(&b, `<C:text-match%s>%s</C:text-match>`, attrs, xmlText(genNeedle(r, cards, prop)))
			}
		}
		b.WriteString(`</C:prop-filter>`)
	}
	b.WriteString(`</C:filter></C:addressbook-query>`)
	return b.String()
}

// genNeedle returns text to search prop for.
func genNeedle(r *rand.Rand, cards []*vcardData, prop string) string {
	if r.IntN(10) == 0 {
		return pick(r, append(append([]string{"", "e", "Ü", "ss", "fi", "%", "_", "\\"}, genGiven...), genFamily...))
	}
	_, name, _ := splitPropName(prop)
	for range 20 {
		c := cards[r.IntN(len(cards))]
		for _, l := range c.lines {
			if l.name != name || r.IntN(2) == 0 {
				continue
			}
			subs := l.subjects()
			s := subs[r.IntN(len(subs))]
			return mangle(r, cut(r, s))
		}
	}
	return pick(r, genFamily)
}

// cut returns a substring of s on character boundaries, the way a user
// types part of a name: all of it, a prefix, a suffix or a piece from the
// middle, mostly three characters or more.
func cut(r *rand.Rand, s string) string {
	runes := []rune(s)
	n := len(runes)
	if n <= 3 || r.IntN(3) == 0 {
		return s
	}
	k := 3 + r.IntN(n-2) // length 3..n
	if r.IntN(10) == 0 {
		k = 1 + r.IntN(2)
	}
	switch r.IntN(3) {
	case 0:
		return string(runes[:k])
	case 1:
		return string(runes[n-k:])
	}
	i := r.IntN(n - k + 1)
	return string(runes[i : i+k])
}

// mangle changes case or normalization form the way a user's typing
// differs from what is stored.
func mangle(r *rand.Rand, s string) string {
	switch r.IntN(6) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	case 2:
		return norm.NFD.String(s)
	case 3:
		return norm.NFKC.String(s)
	case 4:
		return strings.Map(func(c rune) rune {
			if r.IntN(2) == 0 {
				return unicode.SimpleFold(c)
			}
			return c
		}, s)
	}
	return s
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// xmlText escapes s for XML character data; vCard text never holds
// characters XML cannot carry.
func xmlText(s string) string {
	if !utf8.ValidString(s) {
		panic("invalid UTF-8 needle")
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#13;").Replace(s)
}
