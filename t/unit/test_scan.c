/* Tests of expect_scan.c: finding the Expect lines of an HTTP/1.x header
 * block read in pieces of any size.
 *
 * Most tests describe a header block, what must reach httpd of it (the
 * block without its Expect lines) and the Expect value the scanner must
 * collect, and check that for every way of cutting the block into pieces:
 * one piece, every single cut, every fixed piece size and random cuts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include "expect_scan.h"
#include "unit.h"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
}

/* ---- feeding a block ------------------------------------------------ */

typedef struct {
    apr_size_t line_max;        /* 0 for the defaults below */
    apr_size_t field_max;
    int fields_max;
    int strict;
} limits;

#define DEFAULT_LINE_MAX   8192
#define DEFAULT_FIELD_MAX  8190
#define DEFAULT_FIELDS_MAX 100

#define NEVER ((apr_size_t)-1)

/* What feeding a block gave. */
typedef struct {
    char *out;                  /* the bytes given on, rebuilt */
    apr_size_t out_len;
    apr_size_t done_at;         /* bytes read when done was first set */
    int error;                  /* ex_scan() said EX_SCAN_ERROR */
    int scanned;                /* feed_filter(): the scanner was started */
} fed;

static void scan_start(ex_scan_t *sc, apr_pool_t *p, const limits *l)
{
    memset(sc, 0x5a, sizeof(*sc));      /* ex_scan_init sets the state */
    sc->line_max = l->line_max ? l->line_max : DEFAULT_LINE_MAX;
    sc->field_max = l->field_max ? l->field_max : DEFAULT_FIELD_MAX;
    sc->fields_max = l->fields_max ? l->fields_max : DEFAULT_FIELDS_MAX;
    sc->strict = l->strict;
    ex_scan_init(sc, p);
}

/* Printable form of len bytes, for failure messages. */
static const char *show(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\r') {
            o += sprintf(o, "\\r");
        }
        else if (c == '\n') {
            o += sprintf(o, "\\n");
        }
        else if (c == '\t') {
            o += sprintf(o, "\\t");
        }
        else if (c < 0x20 || c >= 0x7f || c == '\\') {
            o += sprintf(o, "\\x%02x", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

/* Give the scanner one piece, at offset start of the block, the way a
 * caller must: give on sc->release bytes of sc->hold then the passed
 * bytes, drop the dropped ones.  Returns 0 at an error. */
static int scan_piece(ex_scan_t *sc, const char *piece, apr_size_t piece_len,
                      apr_size_t start, apr_size_t len, const char *how,
                      fed *r)
{
    apr_size_t off = 0;

    while (off < piece_len) {
        apr_size_t left = piece_len - off, k;
        ex_scan_act act;

        k = ex_scan(sc, piece + off, left, &act);
        ck_assert_msg(k >= 1 && k <= left,
                      "%s: ex_scan took %lu of %lu bytes at %lu", how,
                      (unsigned long)k, (unsigned long)left,
                      (unsigned long)(start + off));
        if (act == EX_SCAN_ERROR) {
            r->error = 1;
            return 0;
        }
        ck_assert_msg(act == EX_SCAN_PASS || act == EX_SCAN_DROP,
                      "%s: unknown action %d", how, (int)act);
        if (act == EX_SCAN_PASS) {
            ck_assert_msg(sc->release <= EX_HOLD_MAX
                          && r->out_len + sc->release + k <= len,
                          "%s: more bytes given on than read", how);
            memcpy(r->out + r->out_len, sc->hold, sc->release);
            r->out_len += sc->release;
            memcpy(r->out + r->out_len, piece + off, k);
            r->out_len += k;
        }
        off += k;
        if (sc->done && r->done_at == NEVER) {
            r->done_at = start + off;
        }
    }
    return 1;
}

static void fed_start(apr_pool_t *p, apr_size_t len, fed *r)
{
    r->out = apr_palloc(p, len + 1);
    r->out_len = 0;
    r->done_at = NEVER;
    r->error = 0;
    r->scanned = 0;
}

/* Feed in[0..len) to the scanner as the pieces ending at ends[0..n), each
 * piece in a buffer of its own exact size; stop at an error. */
static void feed(ex_scan_t *sc, apr_pool_t *p, const char *in,
                 apr_size_t len, const apr_size_t *ends, int n,
                 const char *how, fed *r)
{
    apr_size_t start = 0;
    int i;

    fed_start(p, len, r);
    for (i = 0; i < n; i++) {
        apr_size_t piece_len = ends[i] - start;
        char *piece = malloc(piece_len);
        int ok;

        ck_assert_msg(piece_len > 0 && piece != NULL, "%s: bad split", how);
        memcpy(piece, in + start, piece_len);
        ok = scan_piece(sc, piece, piece_len, start, len, how, r);
        free(piece);
        if (!ok) {
            return;
        }
        start = ends[i];
    }
}

/* Feed in[0..len) as mod_expect's EXPECT_IN filter reads it: in the reads
 * of AP_MODE_GETLINE, which end at an LF at the latest (so each piece is
 * cut after each LF in it), through ex_quick() until it hands the block
 * to the scanner (sc, with its limits set), which then reads the rest.
 * ex_quick() is shown the first first_max bytes of a read (0: all of
 * it), as if the rest were in other buckets.  After the end of the block
 * the filter has left: what follows is given on as read. */
static void feed_filter(ex_scan_t *sc, apr_pool_t *p, const char *in,
                        apr_size_t len, const apr_size_t *ends, int n,
                        apr_size_t first_max, const char *how, fed *r)
{
    apr_uintptr_t word = ex_quick_start(sc->fields_max);
    apr_size_t start = 0;
    int scanning = 0, gone = 0;
    int i;

    fed_start(p, len, r);
    for (i = 0; i < n; i++) {
        ck_assert_msg(ends[i] > start, "%s: bad split", how);
        while (start < ends[i]) {
            const char *lf = memchr(in + start, '\n', ends[i] - start);
            apr_size_t end = lf ? (apr_size_t)(lf - in) + 1 : ends[i];
            apr_size_t read_len = end - start;
            char *read = malloc(read_len);
            ex_quick_act act = EX_QUICK_PASS;

            ck_assert(read != NULL);
            memcpy(read, in + start, read_len);
            if (!gone && !scanning) {
                act = ex_quick(&word, read,
                               first_max && first_max < read_len ? first_max
                                                                 : read_len,
                               read[read_len - 1] == '\n');
                if (act == EX_QUICK_SCAN) {
                    ex_scan_resume(sc, p, word);
                    scanning = r->scanned = 1;
                }
            }
            if (scanning) {
                if (!scan_piece(sc, read, read_len, start, len, how, r)) {
                    free(read);
                    return;
                }
            }
            else {
                ck_assert_msg(r->out_len + read_len <= len,
                              "%s: more bytes given on than read", how);
                memcpy(r->out + r->out_len, read, read_len);
                r->out_len += read_len;
                if (act == EX_QUICK_END) {
                    gone = 1;
                    r->done_at = end;
                }
            }
            free(read);
            start = end;
        }
    }
}

/* One way of cutting a block: checks what feeding it so gives. */
typedef void (*split_check)(const void *tcase, const char *in,
                            apr_size_t len, const apr_size_t *ends, int n,
                            const char *how);

/* A fixed-seed generator, so random cuts are the same on every run. */
static apr_uint32_t rnd_next(apr_uint32_t *state)
{
    apr_uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#define RANDOM_SPLITS 300

static void every_split(const void *tcase, const char *in, apr_size_t len,
                        split_check check)
{
    apr_size_t *ends = malloc((len + 1) * sizeof(*ends));
    apr_uint32_t state = 0x9e3779b9;
    apr_size_t cut, size;
    char how[80];
    int n, i;

    ck_assert(ends != NULL);

    ends[0] = len;
    check(tcase, in, len, ends, 1, "one piece");

    for (cut = 1; cut < len; cut++) {
        ends[0] = cut;
        ends[1] = len;
        snprintf(how, sizeof(how), "cut at %lu", (unsigned long)cut);
        check(tcase, in, len, ends, 2, how);
    }

    for (size = 1; size <= len; size++) {
        apr_size_t end;

        n = 0;
        for (end = size; end < len; end += size) {
            ends[n++] = end;
        }
        ends[n++] = len;
        snprintf(how, sizeof(how), "pieces of %lu", (unsigned long)size);
        check(tcase, in, len, ends, n, how);
    }

    for (i = 0; i < RANDOM_SPLITS; i++) {
        apr_size_t end = 0;

        n = 0;
        while (end < len) {
            apr_uint32_t r = rnd_next(&state);
            apr_size_t step = 1 + r % (r & 0x100 ? 10 : (apr_uint32_t)len);

            end = end + step < len ? end + step : len;
            ends[n++] = end;
        }
        snprintf(how, sizeof(how), "random split %d", i);
        check(tcase, in, len, ends, n, how);
    }
    free(ends);
}

/* ---- blocks that scan ----------------------------------------------- */

typedef struct {
    limits lim;
    const char *head;           /* the header block */
    const char *body;           /* what follows it, in the same pieces */
    const char *out_head;       /* head without its Expect lines */
    const char *value;          /* ex_scan_value(), NULL for none */
    int fields;                 /* Expect lines */
    int incomplete;             /* head lacks the empty line ending it */
} pass_case;

/* The ways a block is fed: to the scanner alone, and as the filter reads
 * it, with ex_quick() shown the whole of each read or its first 3 bytes. */
#define FEEDS 3

/* Feed the block the way'th way; *how gets the way added. */
static void feed_by(int way, ex_scan_t *sc, apr_pool_t *p, const char *in,
                    apr_size_t len, const apr_size_t *ends, int n,
                    const char **how, fed *r)
{
    if (way == 0) {
        feed(sc, p, in, len, ends, n, *how, r);
        return;
    }
    *how = apr_pstrcat(p, *how, way == 1 ? ", as the filter reads"
                       : ", as the filter reads, 3-byte first buckets",
                       NULL);
    feed_filter(sc, p, in, len, ends, n, way == 1 ? 0 : 3, *how, r);
}

static void check_pass_way(const pass_case *c, const char *in,
                           apr_size_t len, const apr_size_t *ends, int n,
                           const char *how, int way)
{
    apr_size_t head_len = strlen(c->head);
    const char *want;
    apr_size_t want_len;
    apr_pool_t *p;
    ex_scan_t sc;
    fed r;

    apr_pool_create(&p, pool);
    want = apr_pstrcat(p, c->out_head, c->body, NULL);
    want_len = strlen(want);
    scan_start(&sc, p, &c->lim);
    feed_by(way, &sc, p, in, len, ends, n, &how, &r);

    ck_assert_msg(!r.error, "%s: error \"%s\"", how, sc.error);
    ck_assert_msg(r.out_len == want_len
                  && memcmp(r.out, want, want_len) == 0,
                  "%s: gave on \"%s\", not \"%s\"", how,
                  show(p, r.out, r.out_len), show(p, want, want_len));
    if (c->incomplete) {
        ck_assert_msg(r.done_at == NEVER, "%s: done before the block ends",
                      how);
    }
    else {
        ck_assert_msg(r.done_at == head_len,
                      "%s: done set after %ld bytes, not %lu", how,
                      r.done_at == NEVER ? -1L : (long)r.done_at,
                      (unsigned long)head_len);
    }
    ck_assert_msg(sc.fields == c->fields, "%s: %d Expect lines, not %d",
                  how, sc.fields, c->fields);
    if (c->value == NULL) {
        ck_assert_msg(ex_scan_value(&sc) == NULL,
                      "%s: value \"%s\", not none", how, ex_scan_value(&sc));
    }
    else {
        const char *value = ex_scan_value(&sc);

        ck_assert_msg(value != NULL, "%s: no value", how);
        ck_assert_msg(strcmp(value, c->value) == 0,
                      "%s: value \"%s\", not \"%s\"", how,
                      show(p, value, strlen(value)),
                      show(p, c->value, strlen(c->value)));
    }
    apr_pool_destroy(p);
}

static void check_pass_split(const void *tcase, const char *in,
                             apr_size_t len, const apr_size_t *ends, int n,
                             const char *how)
{
    int way;

    for (way = 0; way < FEEDS; way++) {
        check_pass_way(tcase, in, len, ends, n, how, way);
    }
}

static void check_pass(const pass_case *c)
{
    const char *in = apr_pstrcat(pool, c->head, c->body, NULL);

    every_split(c, in, strlen(in), check_pass_split);
}

START_TEST(expect_line_is_taken_and_the_rest_passes)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
        "Accept: */*\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
        "100-continue", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(bytes_after_the_block_pass_untouched)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\n"
        "Content-Length: 34\r\n\r\n",
        "Expect: x\r\n\r\nEXPECT: y\r\n z\n\nExp",
        "POST / HTTP/1.1\r\nContent-Length: 34\r\n\r\n",
        "100-continue", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(expect_lines_of_any_case_merge_with_comma)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nexpect: a\r\nHost: h\r\nEXPECT:b\r\n"
        "eXpEcT:  \t c=\"d, e\"  \t\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "a, b, c=\"d, e\"", 3, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(obs_fold_continues_the_expect_value_with_one_space)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: a,\r\n  b \r\n\tc\t\r\nHost: h\r\n"
        "Expect: d\r\n \t e\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "a, b c, d e", 2, 0
    };

    check_pass(&c);
}
END_TEST

/* The line nearly every client sends, "Expect: 100-continue" with CRLF,
 * is taken without the general walk when it comes whole (expect_scan.c's
 * take_common()): what follows it must find the state the walk leaves,
 * and a value that is the constant's own is copied, never written to,
 * when a fold or another line adds to it. */
START_TEST(common_expect_line_leaves_the_state_of_any_other)
{
    static const pass_case fold = {
        { 0, 0, 0, 1 },
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\n  x\r\n"
        "Content-Length: 1\r\n\r\n",
        "",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n",
        "100-continue x", 1, 0
    };
    static const pass_case merged = {
        { 0, 0, 0, 1 },
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nHost: h\r\n"
        "Expect: 100-continue\r\n\r\n",
        "",
        "POST / HTTP/1.1\r\nHost: h\r\n\r\n",
        "100-continue, 100-continue", 2, 0
    };
    static const pass_case second = {
        { 0, 0, 0, 1 },
        "POST / HTTP/1.1\r\nExpect: x\r\nExpect: 100-continue\r\n\r\n",
        "",
        "POST / HTTP/1.1\r\n\r\n",
        "x, 100-continue", 2, 0
    };
    static const pass_case at_limits = {
        /* 21 bytes before the LF, a value of 12: both just allowed */
        { 21, 12, 0, 1 },
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
        "",
        "POST / HTTP/1.1\r\n\r\n",
        "100-continue", 1, 0
    };

    check_pass(&fold);
    check_pass(&merged);
    check_pass(&second);
    check_pass(&at_limits);
}
END_TEST

/* What core makes of a folded field: "Expect:", the first line's value,
 * then one SP and the text for each fold; the value is what follows the
 * colon less its leading SP and HTAB.  So a fold after an empty value
 * starts the value, with no SP.  Repeated fields, empty ones too, merge
 * with ", ".  Each value here is what a stock httpd 2.4 (no mod_expect)
 * gives its handlers for the same head. */
START_TEST(folded_value_is_the_one_core_makes)
{
    static const pass_case after_empty = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect:\r\n 100-continue\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "100-continue", 1, 0
    };
    static const pass_case after_blank = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: \t \r\n \t 100-continue \t\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "100-continue", 1, 0
    };
    static const pass_case several = {
        { 0, 0, 0, 0 },
        "GET / HTTP/1.1\r\nExpect:\r\n a\r\n\tb  \n  c\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "a b c", 1, 0
    };
    static const pass_case merged_fold = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: a\r\nExpect:\r\n b\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "a, b", 2, 0
    };
    static const pass_case fold_then_merged = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect:\r\n b\r\nHost: h\r\nExpect: c\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "b, c", 2, 0
    };
    static const pass_case empty_between = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: a\r\nExpect:\r\nExpect: b\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "a, , b", 3, 0
    };
    static const pass_case empty_first = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect:\r\nExpect: 100-continue\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        ", 100-continue", 2, 0
    };
    static const pass_case empty_last = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: 100-continue\r\nExpect:  \r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "100-continue, ", 2, 0
    };
    static const pass_case two_empty = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect:\r\nExpect:\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        ", ", 2, 0
    };

    check_pass(&after_empty);
    check_pass(&after_blank);
    check_pass(&several);
    check_pass(&merged_fold);
    check_pass(&fold_then_merged);
    check_pass(&empty_between);
    check_pass(&empty_first);
    check_pass(&empty_last);
    check_pass(&two_empty);
}
END_TEST

START_TEST(fold_after_a_non_expect_header_passes)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\n X-Lead: 0\r\nX-A: 1\r\n 2\r\nExpect: e\r\n"
        " f\r\nX-B: 1\r\n\tg\r\n h\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n X-Lead: 0\r\nX-A: 1\r\n 2\r\nX-B: 1\r\n\tg\r\n"
        " h\r\n\r\n",
        "e f", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(look_alike_headers_pass_untouched)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpected: x\r\nExpect-Foo: y\r\nX-Expect: z\r\n"
        "Expec: q\r\nExpect : w\r\nExpect\t: v\r\nExpect\r\nExp\r\n"
        "E\r\n\rExpect: r\r\nHost: a\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nExpected: x\r\nExpect-Foo: y\r\nX-Expect: z\r\n"
        "Expec: q\r\nExpect : w\r\nExpect\t: v\r\nExpect\r\nExp\r\n"
        "E\r\n\rExpect: r\r\nHost: a\r\n\r\n",
        NULL, 0, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(blank_lines_before_the_request_line_pass_and_do_not_end_the_block)
{
    static const pass_case c = {
        { 0, 0, 0, 0 },
        "\r\n\n\r\nGET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
        "x",
        "\r\n\n\r\nGET / HTTP/1.1\r\n\r\n",
        "100-continue", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(request_line_that_looks_like_expect_passes)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "\r\nExpect: / HTTP/1.1\r\nExpect: a\r\n\r\n",
        "",
        "\r\nExpect: / HTTP/1.1\r\n\r\n",
        "a", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(no_expect_line_gives_no_value)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "Expect: a\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        NULL, 0, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(expect_with_empty_value_gives_empty_string)
{
    static const pass_case empty = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect:\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "", 1, 0
    };
    static const pass_case blank = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: \t \r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "", 1, 0
    };

    check_pass(&empty);
    check_pass(&blank);
}
END_TEST

START_TEST(bare_lf_lines_are_accepted_when_not_strict)
{
    static const pass_case c = {
        { 0, 0, 0, 0 },
        "GET / HTTP/1.1\nExpect: a\nHost: h\nExpect: b\r\n c\n\n",
        "",
        "GET / HTTP/1.1\nHost: h\n\n",
        "a, b c", 2, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(strict_leaves_bare_lf_of_other_lines_to_core)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\nHost: h\nExpect: a\r\n\n",
        "",
        "GET / HTTP/1.1\nHost: h\n\n",
        "a", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(strict_keeps_htab_and_obs_text_in_a_value)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: a\tb\x80\xff\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "a\tb\x80\xff", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(ctl_in_a_value_is_kept_when_not_strict)
{
    static const pass_case c = {
        { 0, 0, 0, 0 },
        "GET / HTTP/1.1\r\nExpect: a\x01" "b\x7f" "c\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "a\x01" "b\x7f" "c", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(incomplete_block_is_not_done)
{
    static const pass_case c = {
        { 0, 0, 0, 1 },
        "\r\nGET / HTTP/1.1\r\nExpect: a\r\nHost: a\r\nExpect: b\r\n",
        "",
        "\r\nGET / HTTP/1.1\r\nHost: a\r\n",
        "a, b", 2, 1
    };

    check_pass(&c);
}
END_TEST

START_TEST(expect_line_of_line_max_bytes_is_taken)
{
    /* "Expect: 0123456789\r\n" is 20 bytes; other lines are core's. */
    static const pass_case c = {
        { 20, 0, 0, 1 },
        "GET /a-request-line-longer-than-the-limit HTTP/1.1\r\n"
        "Expect: 0123456789\r\n"
        "X-Long: a header line longer than the limit\r\n\r\n",
        "",
        "GET /a-request-line-longer-than-the-limit HTTP/1.1\r\n"
        "X-Long: a header line longer than the limit\r\n\r\n",
        "0123456789", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(folded_field_under_field_max_is_taken)
{
    /* Core keeps a folded field ("Expect: abcd fghij k", 20 bytes) and
     * its NUL under LimitRequestFieldSize: 22 is the smallest limit. */
    static const pass_case c = {
        { 0, 22, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: abcd\r\n fghij\r\n\t k\t\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "abcd fghij k", 1, 0
    };

    check_pass(&c);
}
END_TEST

START_TEST(merged_value_of_field_max_bytes_is_taken)
{
    static const pass_case c = {
        { 0, 22, 0, 1 },
        "GET / HTTP/1.1\r\nExpect: abcd\r\n fghij\r\n"
        "Expect: abcd\r\n fghij\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\n\r\n",
        "abcd fghij, abcd fghij", 2, 0
    };

    check_pass(&c);
}
END_TEST

/* ---- the hold, step by step ----------------------------------------- */

START_TEST(held_line_start_is_released_before_the_passed_bytes)
{
    static const limits lim = { 0, 0, 0, 1 };
    ex_scan_t sc;
    ex_scan_act act;

    scan_start(&sc, pool, &lim);
    ck_assert_uint_eq(ex_scan(&sc, "GET / HTTP/1.1\r\n", 16, &act), 16);
    ck_assert_int_eq(act, EX_SCAN_PASS);
    ck_assert_uint_eq(sc.release, 0);

    ck_assert_uint_eq(ex_scan(&sc, "Exp", 3, &act), 3);
    ck_assert_int_eq(act, EX_SCAN_DROP);

    ck_assert_uint_eq(ex_scan(&sc, "ected: x\r\nHost", 14, &act), 10);
    ck_assert_int_eq(act, EX_SCAN_PASS);
    ck_assert_uint_eq(sc.release, 3);
    ck_assert_mem_eq(sc.hold, "Exp", 3);

    ck_assert_uint_eq(ex_scan(&sc, "Host: a\r\n", 9, &act), 9);
    ck_assert_int_eq(act, EX_SCAN_PASS);
    ck_assert_uint_eq(sc.release, 0);
}
END_TEST

START_TEST(held_line_start_of_an_expect_line_is_not_released)
{
    static const limits lim = { 0, 0, 0, 1 };
    ex_scan_t sc;
    ex_scan_act act;

    scan_start(&sc, pool, &lim);
    ck_assert_uint_eq(ex_scan(&sc, "GET / HTTP/1.1\r\n", 16, &act), 16);
    ck_assert_uint_eq(ex_scan(&sc, "exp", 3, &act), 3);
    ck_assert_int_eq(act, EX_SCAN_DROP);
    ck_assert_uint_eq(ex_scan(&sc, "EC", 2, &act), 2);
    ck_assert_int_eq(act, EX_SCAN_DROP);
    ck_assert_uint_eq(ex_scan(&sc, "t: a\r\n\r\nbody", 12, &act), 6);
    ck_assert_int_eq(act, EX_SCAN_DROP);
    ck_assert_int_eq(sc.done, 0);
    ck_assert_uint_eq(ex_scan(&sc, "\r\nbody", 6, &act), 2);
    ck_assert_int_eq(act, EX_SCAN_PASS);
    ck_assert_uint_eq(sc.release, 0);
    ck_assert_int_eq(sc.done, 1);
    ck_assert_uint_eq(ex_scan(&sc, "body", 4, &act), 4);
    ck_assert_int_eq(act, EX_SCAN_PASS);
    ck_assert_pstr_eq(ex_scan_value(&sc), "a");
}
END_TEST

START_TEST(held_cr_is_released_with_the_empty_line)
{
    static const limits lim = { 0, 0, 0, 1 };
    ex_scan_t sc;
    ex_scan_act act;

    scan_start(&sc, pool, &lim);
    ck_assert_uint_eq(ex_scan(&sc, "GET / HTTP/1.1\r\n", 16, &act), 16);
    ck_assert_uint_eq(ex_scan(&sc, "\r", 1, &act), 1);
    ck_assert_int_eq(act, EX_SCAN_DROP);
    ck_assert_int_eq(sc.done, 0);
    ck_assert_uint_eq(ex_scan(&sc, "\nbody", 5, &act), 1);
    ck_assert_int_eq(act, EX_SCAN_PASS);
    ck_assert_uint_eq(sc.release, 1);
    ck_assert_mem_eq(sc.hold, "\r", 1);
    ck_assert_int_eq(sc.done, 1);
}
END_TEST

/* ---- blocks that do not scan ---------------------------------------- */

typedef struct {
    limits lim;
    const char *in;
    apr_size_t len;
    int status;                 /* EX_SCAN_TOO_LONG or EX_SCAN_MALFORMED */
    const char *out;            /* the block without its Expect lines:
                                 * what is given on must start it */
} error_case;

static void check_error_way(const error_case *c, const char *in,
                            apr_size_t len, const apr_size_t *ends, int n,
                            const char *how, int way)
{
    apr_pool_t *p;
    ex_scan_t sc;
    fed r;

    apr_pool_create(&p, pool);
    scan_start(&sc, p, &c->lim);
    feed_by(way, &sc, p, in, len, ends, n, &how, &r);

    ck_assert_msg(r.error, "%s: no error; gave on \"%s\"", how,
                  show(p, r.out, r.out_len));
    ck_assert_msg(sc.error != NULL, "%s: error without a reason", how);
    ck_assert_msg(sc.status == c->status, "%s: status %d, not %d (%s)",
                  how, sc.status, c->status, sc.error);
    ck_assert_msg(!sc.done && r.done_at == NEVER,
                  "%s: done despite the error", how);
    ck_assert_msg(r.out_len <= strlen(c->out)
                  && memcmp(r.out, c->out, r.out_len) == 0,
                  "%s: gave on \"%s\"", how, show(p, r.out, r.out_len));
    apr_pool_destroy(p);
}

static void check_error_split(const void *tcase, const char *in,
                              apr_size_t len, const apr_size_t *ends, int n,
                              const char *how)
{
    int way;

    for (way = 0; way < FEEDS; way++) {
        check_error_way(tcase, in, len, ends, n, how, way);
    }
}

static void check_error(const error_case *c)
{
    every_split(c, c->in, c->len, check_error_split);
}

#define BLOCK(lit) lit, sizeof(lit) - 1

START_TEST(strict_refuses_bare_lf_in_an_expect_line)
{
    static const error_case line = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\nHost: h\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    };
    static const error_case fold = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n b\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&line);
    check_error(&fold);
}
END_TEST

START_TEST(nul_in_an_expect_line_is_malformed)
{
    static const error_case strict = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\0b\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case lenient = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\0b\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case at_end = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\0\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case fold = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n \0\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&strict);
    check_error(&lenient);
    check_error(&at_end);
    check_error(&fold);
}
END_TEST

START_TEST(strict_refuses_ctl_in_an_expect_value)
{
    static const error_case soh = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\x01" "b\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case del = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\x7f\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case cr = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\rb\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case fold = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n b\x1f\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&soh);
    check_error(&del);
    check_error(&cr);
    check_error(&fold);
}
END_TEST

START_TEST(cr_vt_ff_in_an_expect_value_are_malformed_even_when_not_strict)
{
    static const error_case cr = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\rb\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case vt = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\vb\n\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\n"
    };
    static const error_case ff = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n \fb\r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&cr);
    check_error(&vt);
    check_error(&ff);
}
END_TEST

START_TEST(folded_field_at_field_max_is_too_long)
{
    static const error_case c = {
        { 0, 21, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: abcd\r\n fghij\r\n\t k\t\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "GET / HTTP/1.1\r\n"
    };

    check_error(&c);
}
END_TEST

START_TEST(merged_value_over_field_max_is_too_long)
{
    /* Core holds the merged value of repeated lines to the limit too. */
    static const error_case c = {
        { 0, 21, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: abcd\r\n fghij\r\n"
              "Expect: abcd\r\n fghij\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "GET / HTTP/1.1\r\n"
    };

    check_error(&c);
}
END_TEST

START_TEST(fields_max_counts_every_field)
{
    static const pass_case c = {
        { 0, 0, 3, 1 },
        "GET / HTTP/1.1\r\nExpect: a\r\nHost: h\r\nExpect: b\r\n c\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "a, b c", 2, 0
    };
    /* Core counts the fields it sees; the Expect lines it never sees
     * would have counted too, so a block over the limit with them is
     * refused when it ends (the empty line is not given on). */
    static const error_case expect_last = {
        { 0, 0, 2, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\nHost: h\r\nExpect: b\r\n\r\n"),
        EX_SCAN_TOO_MANY,
        "GET / HTTP/1.1\r\nHost: h\r\n"
    };
    static const error_case other_last = {
        { 0, 0, 2, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\nHost: h\r\nX-A: b\r\n\r\n"),
        EX_SCAN_TOO_MANY,
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n"
    };

    check_pass(&c);
    check_error(&expect_last);
    check_error(&other_last);
}
END_TEST

/* A block with more fields than the limit and no Expect line is core's to
 * refuse, with its own answer: the scanner (started here by "Expires" when
 * the quick path is shown 3 bytes) gives it all on. */
START_TEST(too_many_fields_without_expect_are_left_to_core)
{
    static const pass_case c = {
        { 0, 0, 2, 1 },
        "GET / HTTP/1.1\r\nExpires: 0\r\nA: 1\r\n fold\r\nB: 2\r\nC: 3\r\n"
        "\r\n",
        "",
        "GET / HTTP/1.1\r\nExpires: 0\r\nA: 1\r\n fold\r\nB: 2\r\nC: 3\r\n"
        "\r\n",
        NULL, 0, 0
    };

    check_pass(&c);
}
END_TEST

/* One field too many besides the Expect lines: core refuses it itself
 * (it reads the line after it, or the empty line, through the filter). */
START_TEST(too_many_other_fields_with_expect_are_left_to_core)
{
    static const pass_case expect_after = {
        { 0, 0, 2, 1 },
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nExpect: a\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
        "a", 1, 0
    };
    static const pass_case expect_before = {
        { 0, 0, 2, 1 },
        "GET / HTTP/1.1\r\nExpect: a\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
        "a", 1, 0
    };

    check_pass(&expect_after);
    check_pass(&expect_before);
}
END_TEST

/* The fields counted while the block is read are only refused at its end:
 * a block that has not ended is not refused for them. */
START_TEST(too_many_fields_are_refused_only_at_the_end)
{
    static const pass_case c = {
        { 0, 0, 2, 1 },
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nExpect: a\r\nExpect: b\r\n",
        "",
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n",
        "a, b", 2, 1
    };
    static const error_case ended = {
        { 0, 0, 2, 1 },
        BLOCK("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nExpect: a\r\n\r\n"),
        EX_SCAN_TOO_MANY,
        "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n"
    };
    static const error_case bare_lf = {
        { 0, 0, 2, 0 },
        BLOCK("GET / HTTP/1.1\nHost: h\nA: 1\nExpect: a\n\n"),
        EX_SCAN_TOO_MANY,
        "GET / HTTP/1.1\nHost: h\nA: 1\n"
    };

    check_pass(&c);
    check_error(&ended);
    check_error(&bare_lf);
}
END_TEST

START_TEST(common_expect_line_is_held_to_the_limits)
{
    static const error_case line = {
        { 20, 0, 0, 1 },
        BLOCK("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "POST / HTTP/1.1\r\n"
    };
    static const error_case value = {
        { 0, 11, 0, 1 },
        BLOCK("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "POST / HTTP/1.1\r\n"
    };
    static const error_case fields = {
        { 0, 0, 2, 1 },
        BLOCK("POST / HTTP/1.1\r\nHost: h\r\nA: b\r\n"
              "Expect: 100-continue\r\n\r\n"),
        EX_SCAN_TOO_MANY,
        "POST / HTTP/1.1\r\nHost: h\r\nA: b\r\n"
    };

    check_error(&line);
    check_error(&value);
    check_error(&fields);
}
END_TEST

START_TEST(expect_line_longer_than_line_max_is_too_long)
{
    /* "Expect: 0123456789ab\r\n" is 21 bytes before its LF: core's
     * ap_rgetline() lets only the LF go past the limit. */
    static const error_case one_over = {
        { 20, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: 0123456789ab\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case no_lf = {
        { 20, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: 0123456789012345678901234567890"),
        EX_SCAN_TOO_LONG,
        "GET / HTTP/1.1\r\n"
    };
    static const error_case fold = {
        { 20, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n 0123456789012345678\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&one_over);
    check_error(&no_lf);
    check_error(&fold);
}
END_TEST

START_TEST(folded_field_longer_than_field_max_is_too_long)
{
    /* "Expect: abcd fghij kl" is 21 bytes. */
    static const error_case c = {
        { 0, 20, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: abcd\r\n fghij\r\n kl\r\n\r\n"),
        EX_SCAN_TOO_LONG,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&c);
}
END_TEST

/* An Expect line is counted when it begins: a head cut off inside one
 * (the fuzzer's find) has one field more than the merged value accounts
 * for, and the limit holds it when its end comes. */
START_TEST(an_expect_line_begun_counts_before_its_value)
{
    static const char head[] = "GET / HTTP/1.1\r\n"
        "Expect:\r\nExpect:\r\nExpect:\r\nExpect:\r\nExpect:\r\n"
        "Expect:";
    ex_scan_t sc;
    ex_scan_act act;
    apr_size_t off = 0, n;

    sc.line_max = 10;
    sc.field_max = 8;
    sc.fields_max = DEFAULT_FIELDS_MAX;
    sc.strict = 1;
    ex_scan_init(&sc, pool);
    while (off < sizeof(head) - 1) {
        n = ex_scan(&sc, head + off, sizeof(head) - 1 - off, &act);
        ck_assert_int_ne(act, EX_SCAN_ERROR);
        off += n;
    }
    ck_assert_int_eq(sc.done, 0);
    ck_assert_int_eq(sc.fields, 6);
    ck_assert_str_eq(ex_scan_value(&sc), ", , , , ");
    n = ex_scan(&sc, "\r\n", 2, &act);
    ck_assert_int_eq(act, EX_SCAN_ERROR);
    ck_assert_int_eq(sc.status, EX_SCAN_TOO_LONG);
}
END_TEST

START_TEST(more_expect_lines_than_fields_max_is_an_error)
{
    static const error_case c = {
        { 0, 0, 2, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\nHost: h\r\nExpect: b\r\n"
              "Expect: c\r\n\r\n"),
        EX_SCAN_TOO_MANY,
        "GET / HTTP/1.1\r\nHost: h\r\n"
    };

    check_error(&c);
}
END_TEST

START_TEST(whitespace_only_fold_of_an_expect_line_is_malformed)
{
    static const error_case strict = {
        { 0, 0, 0, 1 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n \t \r\n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };
    static const error_case lenient = {
        { 0, 0, 0, 0 },
        BLOCK("GET / HTTP/1.1\r\nExpect: a\r\n \n\r\n"),
        EX_SCAN_MALFORMED,
        "GET / HTTP/1.1\r\n\r\n"
    };

    check_error(&strict);
    check_error(&lenient);
}
END_TEST

/* ---- the quick path -------------------------------------------------- */

/* What ex_quick() says of one whole line at the start of a header line. */
static ex_quick_act quick_line(const char *line)
{
    apr_uintptr_t word = ex_quick_start(100) | EX_QUICK_HEADERS;

    return ex_quick(&word, line, strlen(line),
                    line[strlen(line) - 1] == '\n');
}

START_TEST(quick_path_hands_on_what_may_be_expect)
{
    ck_assert_int_eq(quick_line("Expect: 100-continue\r\n"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("eXPECT:x\r\n"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("Exp"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("e"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("\r"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("\rX: y\r\n"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("\r\n"), EX_QUICK_END);
    ck_assert_int_eq(quick_line("\n"), EX_QUICK_END);

    ck_assert_int_eq(quick_line("Expires: 0\r\n"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line("Expectation: x\r\n"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line("Expect\x1a x\r\n"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line("Expect : x\r\n"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line("ETag: x\r\n"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line("Ex"), EX_QUICK_SCAN);
    ck_assert_int_eq(quick_line("Ey"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line(" folded\r\n"), EX_QUICK_PASS);
    ck_assert_int_eq(quick_line("\x01odd\r\n"), EX_QUICK_PASS);
}
END_TEST

/* ex_quick() sees the first piece (bucket) of a read: "\r\n" there is the
 * empty line only when it is the whole of it. */
START_TEST(quick_path_sees_an_empty_line_only_whole)
{
    apr_uintptr_t word = ex_quick_start(100) | EX_QUICK_HEADERS;

    ck_assert_int_eq(ex_quick(&word, "\r.1\r\n", 2, 1), EX_QUICK_SCAN);
    ck_assert_int_eq(ex_quick(&word, "\r", 1, 1), EX_QUICK_SCAN);
    ck_assert_int_eq(ex_quick(&word, "\r\n", 2, 1), EX_QUICK_END);
}
END_TEST

START_TEST(quick_path_knows_where_a_line_ends)
{
    apr_uintptr_t word = ex_quick_start(100);

    /* The request line, in two reads. */
    ck_assert_int_eq(ex_quick(&word, "GET / ", 6, 0), EX_QUICK_PASS);
    ck_assert(word & EX_QUICK_MIDLINE);
    ck_assert_int_eq(ex_quick(&word, "HTTP/1.1\r\n", 10, 1), EX_QUICK_PASS);
    ck_assert((word & (EX_QUICK_MIDLINE | EX_QUICK_HEADERS))
              == EX_QUICK_HEADERS);
    /* A read in the middle of a line is not a line's start, whatever its
     * first bytes: neither Expect nor the empty line. */
    ck_assert_int_eq(ex_quick(&word, "X-A: ", 5, 0), EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "Expect: a\r\n", 11, 1),
                     EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "X-B: ", 5, 0), EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "\r\n", 2, 1), EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "\r\n", 2, 1), EX_QUICK_END);
}
END_TEST

/* The scanner where the quick path hands a block on, with a limit of
 * fields_max fields. */
static void quick_resume(ex_scan_t *sc, int fields_max, apr_uintptr_t word)
{
    memset(sc, 0, sizeof(*sc));
    sc->line_max = DEFAULT_LINE_MAX;
    sc->field_max = DEFAULT_FIELD_MAX;
    sc->fields_max = fields_max;
    ex_scan_resume(sc, pool, word);
}

/* The rest of a block, one line a call: the last call's action. */
static ex_scan_act scan_lines(ex_scan_t *sc, const char *const *lines)
{
    ex_scan_act act = EX_SCAN_PASS;

    for (; *lines != NULL && act != EX_SCAN_ERROR; lines++) {
        ck_assert_uint_eq(ex_scan(sc, *lines, strlen(*lines), &act),
                          strlen(*lines));
    }
    return act;
}

START_TEST(quick_path_counts_fields_down_to_the_limit)
{
    static const char *const expect_end[] = {
        "Expect: 100-continue\r\n", "\r\n", NULL
    };
    apr_uintptr_t word = ex_quick_start(2), at_limit;
    ex_scan_t sc;

    ck_assert_int_eq(ex_quick(&word, "GET / HTTP/1.1\r\n", 16, 1),
                     EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "A: 1\r\n", 6, 1), EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, " fold\r\n", 7, 1), EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "B: 2\r\n", 6, 1), EX_QUICK_PASS);
    at_limit = word;

    /* Two fields and an Expect line are one too many: the scanner knows
     * it when the block ends. */
    ck_assert_int_eq(ex_quick(&word, "Expect: 100-continue\r\n", 22, 1),
                     EX_QUICK_SCAN);
    quick_resume(&sc, 2, word);
    ck_assert_int_eq(scan_lines(&sc, expect_end), EX_SCAN_ERROR);
    ck_assert_int_eq(sc.status, EX_SCAN_TOO_MANY);
    ck_assert(!sc.done);

    /* A third field that is not Expect is passed, and the count stops:
     * core refuses the block itself. */
    word = at_limit;
    ck_assert_int_eq(ex_quick(&word, "C: 3\r\n", 6, 1), EX_QUICK_PASS);
    ck_assert_uint_eq(word / EX_QUICK_FIELD, 0);
    ck_assert_int_eq(ex_quick(&word, "Etag: 4\r\n", 9, 1), EX_QUICK_PASS);
    ck_assert_uint_eq(word / EX_QUICK_FIELD, 0);
    ck_assert_int_eq(ex_quick(&word, "D: 5\r\n", 6, 1), EX_QUICK_PASS);
    ck_assert_uint_eq(word / EX_QUICK_FIELD, 0);
    ck_assert(word & EX_QUICK_TAG);
    ck_assert_int_eq(ex_quick(&word, "\r\n", 2, 1), EX_QUICK_END);

    /* And if an Expect line follows, the scanner leaves it to core too. */
    word = at_limit;
    ck_assert_int_eq(ex_quick(&word, "C: 3\r\n", 6, 1), EX_QUICK_PASS);
    ck_assert_int_eq(ex_quick(&word, "Expect: 100-continue\r\n", 22, 1),
                     EX_QUICK_SCAN);
    quick_resume(&sc, 2, word);
    ck_assert_int_eq(scan_lines(&sc, expect_end), EX_SCAN_PASS);
    ck_assert(sc.done);
    ck_assert_pstr_eq(ex_scan_value(&sc), "100-continue");
}
END_TEST

/* The common request pays for no scanner: the filter reads it with a word
 * of state and allocates nothing. */
START_TEST(a_block_without_expect_never_starts_the_scanner)
{
    static const char block[] =
        "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "User-Agent: Mozilla/5.0\r\nAccept: */*\r\n"
        "Accept-Encoding: gzip\r\nEtag-Like: x\r\nExpires: 0\r\n"
        "Cookie: a=b\r\n folded\r\n\r\nExpect: body\r\n";
    static const limits lim = { 0, 0, 0, 1 };
    apr_size_t len = sizeof(block) - 1, ends[1];
    ex_scan_t sc;
    fed r;

    ends[0] = len;
    scan_start(&sc, pool, &lim);
    feed_filter(&sc, pool, block, len, ends, 1, 0, "whole", &r);
    ck_assert(!r.scanned);
    ck_assert(!r.error);
    ck_assert_uint_eq(r.done_at, len - strlen("Expect: body\r\n"));
    ck_assert_uint_eq(r.out_len, len);
}
END_TEST

TCase *scan_tcase(void)
{
    TCase *tc = tcase_create("scan");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);

    tcase_add_test(tc, expect_line_is_taken_and_the_rest_passes);
    tcase_add_test(tc, quick_path_hands_on_what_may_be_expect);
    tcase_add_test(tc, quick_path_knows_where_a_line_ends);
    tcase_add_test(tc, quick_path_sees_an_empty_line_only_whole);
    tcase_add_test(tc, quick_path_counts_fields_down_to_the_limit);
    tcase_add_test(tc, a_block_without_expect_never_starts_the_scanner);
    tcase_add_test(tc, bytes_after_the_block_pass_untouched);
    tcase_add_test(tc, expect_lines_of_any_case_merge_with_comma);
    tcase_add_test(tc, obs_fold_continues_the_expect_value_with_one_space);
    tcase_add_test(tc, common_expect_line_leaves_the_state_of_any_other);
    tcase_add_test(tc, common_expect_line_is_held_to_the_limits);
    tcase_add_test(tc, folded_value_is_the_one_core_makes);
    tcase_add_test(tc, fold_after_a_non_expect_header_passes);
    tcase_add_test(tc, look_alike_headers_pass_untouched);
    tcase_add_test(tc,
        blank_lines_before_the_request_line_pass_and_do_not_end_the_block);
    tcase_add_test(tc, request_line_that_looks_like_expect_passes);
    tcase_add_test(tc, no_expect_line_gives_no_value);
    tcase_add_test(tc, expect_with_empty_value_gives_empty_string);
    tcase_add_test(tc, bare_lf_lines_are_accepted_when_not_strict);
    tcase_add_test(tc, strict_leaves_bare_lf_of_other_lines_to_core);
    tcase_add_test(tc, strict_keeps_htab_and_obs_text_in_a_value);
    tcase_add_test(tc, ctl_in_a_value_is_kept_when_not_strict);
    tcase_add_test(tc, incomplete_block_is_not_done);
    tcase_add_test(tc, expect_line_of_line_max_bytes_is_taken);
    tcase_add_test(tc, folded_field_under_field_max_is_taken);
    tcase_add_test(tc, folded_field_at_field_max_is_too_long);
    tcase_add_test(tc, merged_value_of_field_max_bytes_is_taken);
    tcase_add_test(tc, merged_value_over_field_max_is_too_long);
    tcase_add_test(tc, fields_max_counts_every_field);
    tcase_add_test(tc, too_many_fields_without_expect_are_left_to_core);
    tcase_add_test(tc, too_many_other_fields_with_expect_are_left_to_core);
    tcase_add_test(tc, too_many_fields_are_refused_only_at_the_end);

    tcase_add_test(tc, held_line_start_is_released_before_the_passed_bytes);
    tcase_add_test(tc, held_line_start_of_an_expect_line_is_not_released);
    tcase_add_test(tc, held_cr_is_released_with_the_empty_line);

    tcase_add_test(tc, strict_refuses_bare_lf_in_an_expect_line);
    tcase_add_test(tc, nul_in_an_expect_line_is_malformed);
    tcase_add_test(tc, strict_refuses_ctl_in_an_expect_value);
    tcase_add_test(tc,
        cr_vt_ff_in_an_expect_value_are_malformed_even_when_not_strict);
    tcase_add_test(tc, expect_line_longer_than_line_max_is_too_long);
    tcase_add_test(tc, folded_field_longer_than_field_max_is_too_long);
    tcase_add_test(tc, an_expect_line_begun_counts_before_its_value);
    tcase_add_test(tc, more_expect_lines_than_fields_max_is_an_error);
    tcase_add_test(tc, whitespace_only_fold_of_an_expect_line_is_malformed);
    return tc;
}
