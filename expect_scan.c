/* Find the Expect lines of an HTTP/1.x header block while httpd reads it.
 *
 * httpd reads a header block a line at a time (AP_MODE_GETLINE), but a
 * read may return only part of a line: a line longer than one read, or a
 * filter below that returns less.  So the scanner takes the bytes of the
 * block in pieces of any size and says, piece by piece, which bytes to
 * give on to httpd and which it has taken.  It decides what a line is from
 * its first bytes:
 *
 *   - an empty line ends the block (the first one after the request line;
 *     empty lines before it are what RFC 9112 section 2.2 lets a server
 *     skip);
 *   - "Expect:" (any case) starts an Expect line, taken whole;
 *   - SP or HTAB starts an obs-fold continuation line, taken when it
 *     continues an Expect line;
 *   - anything else is given on untouched.
 * Until the first bytes of a line decide (a piece as short as "Exp"), the
 * scanner keeps them in hold and gives them back when the line turns out
 * not to be an Expect line, so every other byte reaches httpd as sent.
 */
#include <string.h>

#include "expect_scan.h"

enum {
    LINE_START = 0,          /* nothing of the current line seen yet */
    LINE_PASS,               /* the line is given on */
    LINE_TAKE                /* the line belongs to the Expect field */
};

enum {
    CL_MORE,                 /* too few bytes to tell */
    CL_END,                  /* an empty line */
    CL_FOLD,                 /* an obs-fold continuation line */
    CL_EXPECT,               /* "Expect:" */
    CL_OTHER
};

#define NAME     "expect"
#define NAME_LEN 6

static int classify(const char *s, apr_size_t n, int in_headers)
{
    apr_size_t i;

    if (n == 0) {
        return CL_MORE;
    }
    if (s[0] == '\n') {
        return CL_END;
    }
    if (s[0] == '\r') {
        return n == 1 ? CL_MORE : s[1] == '\n' ? CL_END : CL_OTHER;
    }
    if (!in_headers) {
        return CL_OTHER;
    }
    if (s[0] == ' ' || s[0] == '\t') {
        return CL_FOLD;
    }
    for (i = 0; i < n && i < NAME_LEN; i++) {
        /* Only 'E' and 'e' give 'e' when 0x20 is or-ed in: no false match. */
        if ((s[i] | 0x20) != NAME[i]) {
            return CL_OTHER;
        }
    }
    if (n <= NAME_LEN) {
        return CL_MORE;
    }
    return s[NAME_LEN] == ':' ? CL_EXPECT : CL_OTHER;
}

void ex_scan_init(ex_scan_t *sc, apr_pool_t *p)
{
    sc->done = 0;
    sc->fields = 0;
    sc->release = 0;
    sc->error = NULL;
    sc->status = 0;
    sc->pool = p;
    sc->in_headers = 0;
    sc->line_kind = LINE_START;
    sc->in_expect = 0;
    sc->hold_len = 0;
    ex_buf_init(&sc->taken, p, 0);
    ex_buf_init(&sc->value, p, 0);
    sc->value_start = 0;
    sc->field_len = 0;
    sc->others = 0;
}

void ex_scan_resume(ex_scan_t *sc, apr_pool_t *p, apr_uintptr_t word)
{
    ex_scan_init(sc, p);
    sc->in_headers = (word & EX_QUICK_HEADERS) != 0;
    sc->others = ex_quick_fields(sc->fields_max) - word / EX_QUICK_FIELD;
}

static int fail(ex_scan_t *sc, int status, const char *why)
{
    sc->status = status;
    sc->error = why;
    return 0;
}

/* A whole Expect line (or a continuation of one), s[0..len) with its LF,
 * taken in pieces or as read: add its value to the field's.  The limits
 * are core's, counted as core counts them (ap_get_mime_headers_core), so
 * that an Expect field is held to what any other field is. */
static int take_line(ex_scan_t *sc, const char *s, apr_size_t len)
{
    apr_size_t n = len - 1;             /* without the LF */
    int fold = s[0] == ' ' || s[0] == '\t';
    apr_size_t i;

    /* What core's ap_rgetline() and ap_get_mime_headers_core() refuse in
     * any other line, refused here too: the answer is core's 400. */
    if (memchr(s, '\0', n)) {
        return fail(sc, EX_SCAN_MALFORMED, "NUL byte in an Expect line");
    }
    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    else if (sc->strict) {
        return fail(sc, EX_SCAN_MALFORMED,
                    "Expect line not terminated by CRLF");
    }
    /* Core trims trailing whitespace from each line, and so counts it. */
    while (n > 1 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    if (fold) {
        /* RFC 9112 section 5.2: a server MUST either refuse an obs-fold
         * or replace it with SP before interpreting the value; core
         * replaces, and refuses a fold of nothing but whitespace. */
        while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
        if (n == 0) {
            return fail(sc, EX_SCAN_MALFORMED,
                        "empty obs-fold continuation of an Expect line");
        }
        /* The field as core holds it, with one SP for the fold, and its
         * NUL, must stay under LimitRequestFieldSize. */
        if (sc->field_len + 1 + n + 1 >= sc->field_max) {
            return fail(sc, EX_SCAN_TOO_LONG,
                        "Expect field longer than the server's limit "
                        "after unfolding");
        }
        sc->field_len += 1 + n;
    }
    else {
        sc->field_len = n;
        s += NAME_LEN + 1;
        n -= NAME_LEN + 1;
        /* The field value has no leading or trailing OWS (RFC 9110
         * section 5.5). */
        while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (sc->strict ? (c < 0x20 && c != '\t') || c == 0x7f
                       : c == '\r' || c == '\v' || c == '\f') {
            return fail(sc, EX_SCAN_MALFORMED,
                        "control character in an Expect line");
        }
    }
    /* Core puts one SP for the fold after what the field holds, "Expect:"
     * and any value, then skips the SP and HTAB the value starts with: a
     * fold after an empty value gives no SP.  Repeated fields merge with
     * ", ", empty ones too (apr_table_compress). */
    if (fold) {
        if (sc->value.len > sc->value_start) {
            ex_buf_add(&sc->value, " ", 1);
        }
    }
    else {
        if (sc->fields > 1) {
            ex_buf_add(&sc->value, ", ", 2);
        }
        sc->value_start = sc->value.len;
    }
    ex_buf_add(&sc->value, s, n);
    /* Core holds each field, its lines merged, to the limit as well. */
    if (sc->value.len > sc->field_max) {
        return fail(sc, EX_SCAN_TOO_LONG,
                    "Expect field longer than the server's limit after "
                    "merging its lines");
    }
    return 1;
}

/* Take n bytes of an Expect line, the last of them its LF if lf.  Like
 * core's ap_rgetline(), count the line without its LF: a CRLF line may be
 * one byte longer than the limit says. */
static int take(ex_scan_t *sc, const char *s, apr_size_t n, int lf)
{
    if (sc->taken.len + n - (lf ? 1 : 0) > sc->line_max) {
        return fail(sc, EX_SCAN_TOO_LONG,
                    "Expect line longer than the server's limit");
    }
    ex_buf_add(&sc->taken, s, n);
    return 1;
}

/* One more field that is not Expect.  Core counts these itself and
 * refuses the one too many with its own answer, so no count is refused
 * here: it stops at that one. */
static void count_other(ex_scan_t *sc)
{
    if (sc->others <= (apr_size_t)sc->fields_max) {
        sc->others++;
    }
}

/* The empty line ending the block.  Core counted the other fields; the
 * Expect lines it never saw would have counted too.  A block that has too
 * many only with them is refused here, as core would have refused it; one
 * that has too many without them is core's. */
static int end_block(ex_scan_t *sc)
{
    apr_size_t max = (apr_size_t)sc->fields_max;

    if (sc->fields > 0 && sc->others <= max
        && sc->others + (apr_size_t)sc->fields > max) {
        return fail(sc, EX_SCAN_TOO_MANY,
                    "more request header fields than LimitRequestFields, "
                    "counting the Expect lines");
    }
    sc->done = 1;
    return 1;
}

/* One piece: what the current line is, once its first bytes tell (held
 * until then), and what becomes of the piece's bytes up to its end. */
static apr_size_t scan_piece(ex_scan_t *sc, const char *data, apr_size_t len,
                             ex_scan_act *act)
{
    const char *lf;
    apr_size_t n;

    if (sc->line_kind == LINE_START) {
        char start[EX_HOLD_MAX];
        apr_size_t held = sc->hold_len;
        apr_size_t m = len < EX_HOLD_MAX - held ? len : EX_HOLD_MAX - held;

        const char *first = data;

        if (held) {
            memcpy(start, sc->hold, held);
            memcpy(start + held, data, m);
            first = start;
        }
        switch (classify(first, held + m, sc->in_headers)) {
        case CL_MORE:
            /* Only a short piece can leave it open: m == len here. */
            memcpy(sc->hold + held, data, m);
            sc->hold_len += m;
            *act = EX_SCAN_DROP;
            return m;
        case CL_END:
            n = (apr_size_t)((const char *)memchr(first, '\n', held + m)
                             - first) + 1 - held;
            sc->release = held;
            sc->hold_len = 0;
            *act = sc->in_headers && !end_block(sc) ? EX_SCAN_ERROR
                                                    : EX_SCAN_PASS;
            return n;
        case CL_FOLD:
            if (sc->in_expect) {
                break;
            }
            sc->line_kind = LINE_PASS;
            sc->release = held;
            sc->hold_len = 0;
            break;
        case CL_OTHER:
            if (sc->in_headers) {
                count_other(sc);
            }
            sc->line_kind = LINE_PASS;
            sc->in_expect = 0;
            sc->release = held;
            sc->hold_len = 0;
            break;
        case CL_EXPECT:
            sc->fields++;
            sc->in_expect = 1;
            break;
        }
        if (sc->line_kind == LINE_START) {   /* an Expect line or its fold */
            sc->line_kind = LINE_TAKE;
            sc->taken.len = 0;
            take(sc, sc->hold, held, 0); /* held < EX_HOLD_MAX <= line_max */
            sc->hold_len = 0;
        }
    }

    lf = memchr(data, '\n', len);
    n = lf ? (apr_size_t)(lf - data) + 1 : len;
    if (sc->line_kind == LINE_PASS) {
        if (lf) {
            sc->line_kind = LINE_START;
            sc->in_headers = 1;         /* past the request line, if not yet */
        }
        *act = EX_SCAN_PASS;
        return n;
    }
    if (lf && sc->taken.len == 0) {
        /* The whole line in this piece (the common case): no copy.  The
         * limit is take()'s. */
        if (n - 1 > sc->line_max) {
            fail(sc, EX_SCAN_TOO_LONG,
                 "Expect line longer than the server's limit");
            *act = EX_SCAN_ERROR;
            return n;
        }
        if (!take_line(sc, data, n)) {
            *act = EX_SCAN_ERROR;
            return n;
        }
    }
    else if (!take(sc, data, n, lf != NULL)
             || (lf && !take_line(sc, sc->taken.data, sc->taken.len))) {
        *act = EX_SCAN_ERROR;
        return n;
    }
    if (lf) {
        sc->line_kind = LINE_START;
    }
    *act = EX_SCAN_DROP;
    return n;
}

/* The Expect line nearly every client sends, as they spell it. */
static const char common_line[] = "Expect: 100-continue\r\n";
static const char common_value[] = "100-continue";
#define COMMON_LEN       (sizeof(common_line) - 1)
#define COMMON_VALUE_LEN (sizeof(common_value) - 1)

/* The first Expect line of a block, when it is common_line, whole at the
 * start of a piece: the state scan_piece() and take_line() leave after it,
 * without their walk.  The one second path of the scanner, kept because it
 * is what holds a 100-continue upload within docs/performance.md's bound
 * (about 565 instructions a request); unit tests feed the line whole and
 * in pieces, with what may follow it, and hold both paths to the same
 * output, value and count.  The value is the constant's own: a size of 0
 * makes ex_buf_add() copy it before anything is added.  Lines the limits
 * refuse are scan_piece()'s. */
static int take_common(ex_scan_t *sc, const char *data, apr_size_t len)
{
    if (len < COMMON_LEN || sc->fields > 0
        || COMMON_LEN - 1 > sc->line_max
        || COMMON_VALUE_LEN > sc->field_max
        || memcmp(data, common_line, COMMON_LEN) != 0) {
        return 0;
    }
    sc->fields++;
    sc->in_expect = 1;
    sc->field_len = COMMON_LEN - 2;
    sc->value.data = (char *)common_value;
    sc->value.len = COMMON_VALUE_LEN;
    sc->value.size = 0;
    sc->value_start = 0;
    return 1;
}

apr_size_t ex_scan(ex_scan_t *sc, const char *data, apr_size_t len,
                   ex_scan_act *act)
{
    sc->release = 0;
    if (sc->done) {
        *act = EX_SCAN_PASS;
        return len;
    }
    if (sc->line_kind == LINE_START && sc->hold_len == 0 && sc->in_headers
        && data[0] == 'E' && take_common(sc, data, len)) {
        *act = EX_SCAN_DROP;
        return COMMON_LEN;
    }
    return scan_piece(sc, data, len, act);
}

const char *ex_scan_value(const ex_scan_t *sc)
{
    if (sc->fields == 0) {
        return NULL;
    }
    return sc->value.data ? sc->value.data : "";
}
