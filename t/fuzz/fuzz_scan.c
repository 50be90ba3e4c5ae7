/* libFuzzer target: the header block scanner (expect_scan.c), fed a block
 * cut into pieces the input decides.
 *
 * Input: four bytes of setup, then the block.
 *   byte 0  bit 0: HttpProtocolOptions Strict; bits 1-2: how the block is
 *           cut: 0 pieces of 1 to 8 bytes, 1 single bytes, 2 pieces of
 *           1 to the block's length, 3 one cut
 *   byte 1  LimitRequestFieldSize = 8 + 4 * byte (8 to 1028)
 *   byte 2  LimitRequestFields = 1 + byte % 16
 *   byte 3  the seed of the cuts
 * Printable seeds work: "0 0A" is lenient, short pieces, a limit of 136
 * and one Expect line.
 *
 * Each run feeds the block to the scanner whole and cut (release the held
 * bytes, then the passed ones; drop the dropped ones; stop at an error),
 * and as mod_expect's filter reads it: cut, and cut again after each LF as
 * httpd's AP_MODE_GETLINE reads are, through ex_quick() until it hands the
 * block to the scanner (ex_scan_resume()), with ex_quick() shown the
 * whole of each read or its first 1 to 7 bytes.  It checks:
 *   - the three feedings agree: what was given on, the value, the error;
 *   - against a reference that reads the block a line at a time: without
 *     an error, what is given on is the block less its Expect lines and
 *     their folds, and the value is their merged value, built as httpd's
 *     core builds a field (the line, then SP and each fold's text, the
 *     value after the colon less its leading whitespace) and merges
 *     repeated ones (with ", "); an error is what the reference finds,
 *     and too many fields only at the end of a block that has too many
 *     with its Expect lines, not without them (those are core's);
 *   - the value is bounded: at most LimitRequestFieldSize bytes, and has
 *     no NUL;
 *   - whatever the scanner collected parses without crashing ex_parse().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "expect_field.h"
#include "expect_scan.h"

static apr_pool_t *root;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_scan: check failed at line %d: %s\n", \
                    __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

typedef struct {
    apr_size_t line_max, field_max;
    int fields_max, strict;
} setup;

/* What a feeding, or the reference, gives. */
typedef struct {
    char *out;                  /* the bytes given on */
    apr_size_t out_len;
    char *value;                /* the merged value, or NULL */
    apr_size_t value_len;
    int fields;
    int error;                  /* -1, or EX_SCAN_TOO_LONG/MALFORMED/
                                 * TOO_MANY */
    int done;
    apr_size_t pending;         /* bytes held at the end, undecided */
} result;

/* ---- feeding the scanner --------------------------------------------- */

static apr_uint32_t rnd_next(apr_uint32_t *state)
{
    apr_uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* The length of the next piece, of at most left bytes. */
static apr_size_t next_piece(int mode, apr_uint32_t *state, apr_size_t len,
                             apr_size_t left)
{
    apr_size_t n;

    switch (mode) {
    case 0:
        n = 1 + rnd_next(state) % 8;
        break;
    case 1:
        n = 1;
        break;
    case 2:
        n = 1 + rnd_next(state) % len;
        break;
    default:
        /* One cut, at a point from the seed; then the rest. */
        n = left == len ? 1 + *state % len : left;
        break;
    }
    return n < left ? n : left;
}

/* Feed block[0..len) in pieces (mode < 0: whole).  Each piece is copied
 * into a buffer of its own size, so a read past a piece is caught. */
static void feed(ex_scan_t *sc, const setup *st, apr_pool_t *p,
                 const char *block, apr_size_t len, int mode,
                 apr_uint32_t seed, result *r)
{
    apr_uint32_t state = seed | 1;
    apr_size_t start = 0;

    sc->line_max = st->line_max;
    sc->field_max = st->field_max;
    sc->fields_max = st->fields_max;
    sc->strict = st->strict;
    ex_scan_init(sc, p);

    r->out = apr_palloc(p, len + 1);
    r->out_len = 0;
    r->error = -1;
    while (start < len && r->error < 0) {
        apr_size_t piece_len = mode < 0 ? len
                               : next_piece(mode, &state, len, len - start);
        char *piece = malloc(piece_len);
        apr_size_t off = 0;

        CHECK(piece != NULL);
        memcpy(piece, block + start, piece_len);
        while (off < piece_len) {
            apr_size_t left = piece_len - off, k;
            ex_scan_act act;

            k = ex_scan(sc, piece + off, left, &act);
            CHECK(k >= 1 && k <= left);
            CHECK(sc->release <= EX_HOLD_MAX);
            if (act == EX_SCAN_ERROR) {
                CHECK(sc->error != NULL);
                CHECK(sc->status == EX_SCAN_TOO_LONG
                      || sc->status == EX_SCAN_MALFORMED
                      || sc->status == EX_SCAN_TOO_MANY);
                r->error = sc->status;
                break;
            }
            CHECK(act == EX_SCAN_PASS || act == EX_SCAN_DROP);
            CHECK(act == EX_SCAN_PASS || sc->release == 0);
            if (act == EX_SCAN_PASS) {
                CHECK(r->out_len + sc->release + k <= len);
                memcpy(r->out + r->out_len, sc->hold, sc->release);
                r->out_len += sc->release;
                memcpy(r->out + r->out_len, piece + off, k);
                r->out_len += k;
            }
            off += k;
        }
        free(piece);
        start += piece_len;
    }
    r->done = sc->done;
    r->fields = sc->fields;
    r->value = (char *)ex_scan_value(sc);
    r->value_len = r->value ? sc->value.len : 0;
    r->pending = sc->hold_len;
}

/* Feed block[0..len) as EXPECT_IN reads it (see the top). */
static void feed_filter(ex_scan_t *sc, const setup *st, apr_pool_t *p,
                        const char *block, apr_size_t len, int mode,
                        apr_uint32_t seed, result *r)
{
    apr_uint32_t state = seed | 1;
    apr_size_t first_max = seed % 8, start = 0;
    apr_uintptr_t word;
    int scanning = 0, gone = 0;

    sc->line_max = st->line_max;
    sc->field_max = st->field_max;
    sc->fields_max = st->fields_max;
    sc->strict = st->strict;
    ex_scan_init(sc, p);
    word = ex_quick_start(sc->fields_max);

    r->out = apr_palloc(p, len + 1);
    r->out_len = 0;
    r->error = -1;
    while (start < len && r->error < 0) {
        apr_size_t piece_len = next_piece(mode, &state, len, len - start);
        const char *lf = memchr(block + start, '\n', piece_len);
        apr_size_t read_len = lf ? (apr_size_t)(lf - (block + start)) + 1
                                 : piece_len;
        char *read = malloc(read_len);
        ex_quick_act act = EX_QUICK_PASS;

        CHECK(read != NULL);
        memcpy(read, block + start, read_len);
        if (!gone && !scanning) {
            act = ex_quick(&word, read,
                           first_max && first_max < read_len ? first_max
                                                             : read_len,
                           read[read_len - 1] == '\n');
            if (act == EX_QUICK_SCAN) {
                ex_scan_resume(sc, p, word);
                scanning = 1;
            }
        }
        if (scanning) {
            apr_size_t off = 0;

            while (off < read_len) {
                ex_scan_act sact;
                apr_size_t k = ex_scan(sc, read + off, read_len - off, &sact);

                CHECK(k >= 1 && k <= read_len - off);
                if (sact == EX_SCAN_ERROR) {
                    r->error = sc->status;
                    break;
                }
                if (sact == EX_SCAN_PASS) {
                    CHECK(r->out_len + sc->release + k <= len);
                    memcpy(r->out + r->out_len, sc->hold, sc->release);
                    r->out_len += sc->release;
                    memcpy(r->out + r->out_len, read + off, k);
                    r->out_len += k;
                }
                off += k;
            }
        }
        else {
            memcpy(r->out + r->out_len, read, read_len);
            r->out_len += read_len;
            gone |= act == EX_QUICK_END;
        }
        free(read);
        start += read_len;
    }
    r->done = scanning ? sc->done : gone;
    r->fields = sc->fields;
    r->value = (char *)ex_scan_value(sc);
    r->value_len = r->value ? sc->value.len : 0;
    r->pending = sc->hold_len;
}

/* ---- the reference --------------------------------------------------- */

/* Append n bytes to a string with room for them. */
static void put(char *s, apr_size_t *len, const char *add, apr_size_t n)
{
    memcpy(s + *len, add, n);
    *len += n;
}

/* The Expect field being read, as core holds it: "Expect:" and the
 * first line's value, then one SP and the text of each fold. */
typedef struct {
    char *text;
    apr_size_t len;
    apr_size_t merged;          /* r->value's length before this field's
                                 * value (and its ", ") */
} ref_field;

/* A complete line taken as (part of) the Expect field: its errors, and
 * the field's value put into r's merged value.  The limits are counted as
 * httpd's ap_get_mime_headers_core() counts them for any field: the field
 * as core holds it, with its NUL, must stay under the limit; the merged
 * value may reach it.  Returns -1 or the error. */
static int ref_take(const setup *st, const char *s, apr_size_t n, int fold,
                    ref_field *f, result *r)
{
    const char *v;
    apr_size_t i, vn;

    n--;                                /* the LF */
    if (memchr(s, '\0', n)) {
        return EX_SCAN_MALFORMED;
    }
    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    else if (st->strict) {
        return EX_SCAN_MALFORMED;
    }
    for (; n > 1 && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--) {
    }
    if (fold) {
        /* Core keeps the last of the leading whitespace, as the SP. */
        for (; n > 1 && (s[1] == ' ' || s[1] == '\t'); s++, n--) {
        }
        if (n == 1) {
            return EX_SCAN_MALFORMED;
        }
        if (f->len + n + 1 >= st->field_max) {
            return EX_SCAN_TOO_LONG;
        }
        put(f->text, &f->len, " ", 1);
        put(f->text, &f->len, s + 1, n - 1);
    }
    else {
        f->len = 0;
        put(f->text, &f->len, s, n);
        f->merged = r->value_len;
        if (r->fields > 1) {
            f->merged += 2;
            put(r->value, &r->value_len, ", ", 2);
        }
    }
    /* The value: what follows the colon, less its leading whitespace. */
    v = f->text + 7;
    vn = f->len - 7;
    for (; vn > 0 && (*v == ' ' || *v == '\t'); v++, vn--) {
    }
    for (i = 0; i < vn; i++) {
        unsigned char c = (unsigned char)v[i];
        int bad = st->strict ? (c < 0x20 && c != '\t') || c == 0x7f
                             : c == '\r' || c == '\v' || c == '\f';

        if (bad) {
            return EX_SCAN_MALFORMED;
        }
    }
    r->value_len = f->merged;
    put(r->value, &r->value_len, v, vn);
    if (r->value_len > st->field_max) {
        return EX_SCAN_TOO_LONG;
    }
    return -1;
}

/* Read the block a line at a time, as RFC 9112 and httpd see it. */
static void reference(const setup *st, apr_pool_t *p, const char *block,
                      apr_size_t len, result *r)
{
    int in_headers = 0, in_expect = 0, others = 0;
    apr_size_t pos = 0;
    ref_field f;

    r->out = apr_palloc(p, len + 1);
    r->out_len = 0;
    r->value = apr_palloc(p, 2 * len + 1);
    r->value_len = 0;
    r->fields = 0;
    r->error = -1;
    r->done = 0;
    r->pending = 0;
    f.text = apr_palloc(p, len + 1);
    f.len = f.merged = 0;

    while (pos < len) {
        const char *s = block + pos;
        const char *lf = memchr(s, '\n', len - pos);
        apr_size_t n = lf ? (apr_size_t)(lf - s) + 1 : len - pos;
        int take = 0, fold = 0;

        if (s[0] == '\n' || (s[0] == '\r' && n > 1 && s[1] == '\n')) {
            put(r->out, &r->out_len, s, n);      /* an empty line */
            pos += n;
            if (in_headers) {
                /* LimitRequestFields counts every field of the head.  Core
                 * counts the others, and refuses one too many of them
                 * itself; too many with the Expect lines is refused here,
                 * when the block ends. */
                if (r->fields > 0 && others <= st->fields_max
                    && others + r->fields > st->fields_max) {
                    r->out_len -= n;            /* not given on */
                    r->error = EX_SCAN_TOO_MANY;
                    break;
                }
                r->done = 1;                    /* the rest is the body */
                put(r->out, &r->out_len, block + pos, len - pos);
                break;
            }
            continue;
        }
        if (!lf && (n == 1 && s[0] == '\r')) {
            r->pending = 1;             /* an empty line, or not */
            break;
        }
        if (in_headers && (s[0] == ' ' || s[0] == '\t')) {
            take = fold = in_expect;
        }
        else if (in_headers && strncasecmp(s, "expect:",
                                           n < 7 ? n : 7) == 0) {
            if (n < 7) {
                r->pending = n;         /* "Exp": Expect or not */
                break;
            }
            take = 1;
        }
        if (in_headers && !take && s[0] != ' ' && s[0] != '\t') {
            others++;
        }
        r->fields += take && !fold;
        if (!take) {
            in_expect = 0;
            put(r->out, &r->out_len, s, n);
            pos += n;
            in_headers |= lf != NULL;
            continue;
        }
        in_expect = 1;
        /* Only the LF may go past the limit, as in ap_rgetline(). */
        if (n - (lf != NULL) > st->line_max) {
            r->error = EX_SCAN_TOO_LONG;
            break;
        }
        if (!lf) {
            break;                      /* the line is not all there */
        }
        r->error = ref_take(st, s, n, fold, &f, r);
        if (r->error >= 0) {
            break;
        }
        pos += n;
    }
    r->value[r->value_len] = '\0';
}

/* ---- the target ------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root, NULL) != APR_SUCCESS) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *block = (const char *)data + 4;
    apr_size_t len;
    setup st;
    apr_pool_t *p;
    ex_scan_t whole, cut, filt;
    result w, c, fl, ref;

    if (size <= 4) {
        return 0;
    }
    len = size - 4;
    st.strict = data[0] & 1;
    st.field_max = 8 + 4 * (apr_size_t)data[1];
    st.line_max = st.field_max + 2;     /* as mod_expect sets them */
    st.fields_max = 1 + data[2] % 16;

    apr_pool_create(&p, root);
    feed(&whole, &st, p, block, len, -1, 0, &w);
    feed(&cut, &st, p, block, len, (data[0] >> 1) & 3, data[3], &c);
    feed_filter(&filt, &st, p, block, len, (data[0] >> 1) & 3, data[3], &fl);
    reference(&st, p, block, len, &ref);

    /* However the block is cut, the scanner says the same. */
    CHECK(w.error == c.error);
    CHECK(w.done == c.done);
    CHECK(w.fields == c.fields);
    if (w.error < 0) {
        CHECK(w.out_len == c.out_len
              && memcmp(w.out, c.out, w.out_len) == 0);
        CHECK((w.value == NULL) == (c.value == NULL));
        CHECK(w.value_len == c.value_len
              && (w.value == NULL || memcmp(w.value, c.value,
                                            w.value_len) == 0));
        CHECK(w.pending == c.pending);
    }

    /* The filter's quick path changes nothing of what the scanner says. */
    CHECK(w.error == fl.error);
    CHECK(w.fields == fl.fields);
    if (w.error < 0) {
        CHECK(w.done == fl.done);
        CHECK(w.out_len == fl.out_len
              && memcmp(w.out, fl.out, w.out_len) == 0);
        CHECK((w.value == NULL) == (fl.value == NULL));
        CHECK(w.value_len == fl.value_len
              && (w.value == NULL || memcmp(w.value, fl.value,
                                            w.value_len) == 0));
        CHECK(w.pending == fl.pending);
    }
    else {
        CHECK(fl.out_len <= ref.out_len
              && memcmp(fl.out, ref.out, fl.out_len) == 0);
    }

    /* It reads the block as the reference does. */
    CHECK(w.error == ref.error);
    if (w.error < 0) {
        CHECK(w.done == ref.done);
        CHECK(w.pending == ref.pending);
        CHECK(w.out_len == ref.out_len
              && memcmp(w.out, ref.out, w.out_len) == 0);
        CHECK(w.fields == ref.fields);
        CHECK((w.value == NULL) == (ref.fields == 0));
        CHECK(w.value_len == ref.value_len
              && (w.value == NULL || memcmp(w.value, ref.value,
                                            w.value_len) == 0));
    }
    else {
        /* What was given on before the error is the block's start. */
        CHECK(w.out_len <= ref.out_len
              && memcmp(w.out, ref.out, w.out_len) == 0);
        CHECK(c.out_len <= ref.out_len
              && memcmp(c.out, ref.out, c.out_len) == 0);
    }

    /* The value is bounded by the limit, and has no NUL; so is the number
     * of Expect lines (each after the first adds ", "), but for one that
     * has begun and not yet ended, at the end of a head not yet done: it
     * is counted, its value not yet added. */
    if (w.error < 0) {
        CHECK(w.value_len <= st.field_max);
        CHECK(w.fields <= 1 + (int)st.field_max / 2 + !w.done);
    }
    CHECK(w.value_len <= (apr_size_t)w.fields * (st.field_max + 2));
    if (w.value) {
        ex_field f;

        CHECK(strlen(w.value) == w.value_len);
        ex_parse(p, w.value, w.value_len, &f);
    }
    apr_pool_destroy(p);
    return 0;
}
