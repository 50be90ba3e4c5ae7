/* Parse an Expect field value.
 *
 * RFC 9110 section 10.1.1:
 *   Expect      = #expectation
 *   expectation = token [ "=" ( token / quoted-string ) parameters ]
 * section 5.6.6:
 *   parameters  = *( OWS ";" OWS [ parameter ] )
 *   parameter   = parameter-name "=" parameter-value
 * section 5.6.1: a recipient MUST accept empty list elements, so
 *   "100-continue,", ", 100-continue" and ",," are all well formed.
 *
 * One pass over the value, no backtracking beyond one OWS run: the work is
 * linear in the value's length.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "expect_field.h"

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static const unsigned char tchar_map[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1
};

int ex_is_token(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!tchar_map[(unsigned char)s[i]]) {
            return 0;
        }
    }
    return 1;
}

int ex_member_is(const ex_member *m, const char *name)
{
    return strlen(name) == m->name_len
           && strncasecmp(m->name, name, m->name_len) == 0;
}

int ex_asks_continue(const ex_field *field)
{
    return field->error == NULL && field->has_100_continue;
}

/* The parser's cursor.  Each scanning helper advances pos and returns 1, or
 * returns 0 leaving pos at the offending byte. */
typedef struct {
    const unsigned char *s;
    apr_size_t len;
    apr_size_t pos;
    const char *error;
} cursor;

#define AT_END(c)  ((c)->pos >= (c)->len)
#define PEEK(c)    ((c)->s[(c)->pos])

/* The scanning loops work on a local copy of pos: the bytes are chars,
 * which may alias anything, so a loop on c->pos would load and store it at
 * every byte. */
static void skip_ows(cursor *c)
{
    const unsigned char *s = c->s;
    apr_size_t pos = c->pos, len = c->len;

    while (pos < len && (s[pos] == ' ' || s[pos] == '\t')) {
        pos++;
    }
    c->pos = pos;
}

static int scan_token(cursor *c, const char *what)
{
    const unsigned char *s = c->s;
    apr_size_t start = c->pos, pos = start, len = c->len;

    while (pos < len && tchar_map[s[pos]]) {
        pos++;
    }
    c->pos = pos;
    if (pos == start) {
        c->error = what;
        return 0;
    }
    return 1;
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 * qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 * quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text ) */
static int scan_quoted(cursor *c)
{
    c->pos++;                   /* the opening DQUOTE */
    while (!AT_END(c)) {
        unsigned char ch = PEEK(c);

        if (ch == '"') {
            c->pos++;
            return 1;
        }
        if (ch == '\\') {
            c->pos++;
            if (AT_END(c)) {
                break;
            }
            ch = PEEK(c);
            if (ch != '\t' && (ch < 0x20 || ch == 0x7f)) {
                c->error = "control character in a quoted-pair";
                return 0;
            }
        }
        else if (ch != '\t' && (ch < 0x20 || ch == 0x7f)) {
            c->error = "control character in a quoted-string";
            return 0;
        }
        c->pos++;
    }
    c->error = "unterminated quoted-string";
    return 0;
}

static int scan_token_or_quoted(cursor *c, const char *what)
{
    if (!AT_END(c) && PEEK(c) == '"') {
        return scan_quoted(c);
    }
    return scan_token(c, what);
}

/* parameters = *( OWS ";" OWS [ parameter ] ) */
static int scan_parameters(cursor *c)
{
    for (;;) {
        apr_size_t before = c->pos;

        skip_ows(c);
        if (AT_END(c) || PEEK(c) != ';') {
            c->pos = before;    /* the OWS belongs to the list */
            return 1;
        }
        c->pos++;
        before = c->pos;
        skip_ows(c);
        if (AT_END(c) || !tchar_map[PEEK(c)]) {
            c->pos = before;    /* an empty parameter: OWS is the list's */
            continue;
        }
        scan_token(c, "expected a parameter name");
        if (AT_END(c) || PEEK(c) != '=') {
            c->error = "expected '=' after a parameter name";
            return 0;
        }
        c->pos++;
        if (!scan_token_or_quoted(c, "expected a parameter value")) {
            return 0;
        }
    }
}

int ex_parse(apr_pool_t *p, const char *value, apr_size_t len, ex_field *out)
{
    cursor c = { (const unsigned char *)value, len, 0, NULL };

    out->error = NULL;
    out->error_at = 0;
    out->has_100_continue = 0;
    out->members = apr_array_make(p, 2, sizeof(ex_member));

    for (;;) {
        ex_member *m;
        apr_size_t start, name_len;

        skip_ows(&c);
        if (AT_END(&c)) {
            return 1;
        }
        if (PEEK(&c) == ',') {          /* an empty element */
            c.pos++;
            continue;
        }
        if (out->members->nelts == EX_MAX_MEMBERS) {
            c.error = "too many expectations";
            break;
        }
        start = c.pos;
        if (!scan_token(&c, "expected an expectation name")) {
            break;
        }
        name_len = c.pos - start;
        if (!AT_END(&c) && PEEK(&c) == '=') {
            c.pos++;
            if (!scan_token_or_quoted(&c, "expected a token or "
                                      "quoted-string after '='")
                || !scan_parameters(&c)) {
                break;
            }
        }
        m = apr_array_push(out->members);
        m->name = value + start;
        m->name_len = name_len;
        m->text = value + start;
        m->text_len = c.pos - start;
        out->has_100_continue |= ex_member_is(m, "100-continue");
        skip_ows(&c);
        if (AT_END(&c)) {
            return 1;
        }
        if (PEEK(&c) != ',') {
            c.error = "expected ',' or the end of the value";
            break;
        }
        c.pos++;
    }
    out->error = c.error;
    out->error_at = c.pos;
    return 0;
}
