/* libFuzzer target: ex_parse() and ex_decide() on any Expect value, in any
 * scope.
 *
 * Input: one byte that picks the scope, then the field value.
 *   bit 0     ExpectPolicy lenient (else strict)
 *   bit 1     HTTP/1.1 (else HTTP/1.0)
 *   bits 2-3  ExpectAllow: 0 the default (100-continue), 1 none,
 *             2 100-continue x-foo x-checksum, 3 the names that follow, up
 *             to the first LF, separated by spaces (the value comes after
 *             the LF)
 * So the seeds are readable: '2' strict HTTP/1.1 default, '3' lenient,
 * '6' none, ':' the three names, '>' names of the input's own.
 *
 * Beyond crashes and sanitizer reports, each run checks ex_parse against a
 * reference parser written from the RFC 9110 grammar, the members against
 * the invariants expect_field.h promises, and ex_decide against a reference
 * decision.  A difference aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "expect_field.h"
#include "expect_policy.h"

static apr_pool_t *root;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_field: check failed at line %d: %s\n", \
                    __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

/* ---- the reference parser -------------------------------------------- */

/* One member as the reference reads it: offsets into the value. */
typedef struct {
    apr_size_t start, name_len, text_len;
} ref_member;

typedef struct {
    ref_member m[EX_MAX_MEMBERS];
    int n;
    int ok;
} ref_field;

static int ref_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z')
           || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int ref_ows(const unsigned char *s, apr_size_t len, apr_size_t i)
{
    return i < len && (s[i] == ' ' || s[i] == '\t');
}

/* Each returns the offset after what it read, or (apr_size_t)-1. */
#define BAD ((apr_size_t)-1)

static apr_size_t ref_token(const unsigned char *s, apr_size_t len,
                            apr_size_t i)
{
    apr_size_t start = i;

    while (i < len && ref_tchar(s[i])) {
        i++;
    }
    return i > start ? i : BAD;
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE */
static apr_size_t ref_quoted(const unsigned char *s, apr_size_t len,
                             apr_size_t i)
{
    for (i++; i < len; i++) {
        unsigned char c = s[i];

        if (c == '"') {
            return i + 1;
        }
        if (c == '\\') {
            if (++i == len) {
                return BAD;
            }
            c = s[i];
            if (!(c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f))) {
                return BAD;     /* quoted-pair: HTAB / SP / VCHAR / obs */
            }
        }
        else if (!(c == '\t' || c == ' ' || c == 0x21
                   || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c != 0x7f))) {
            return BAD;         /* qdtext */
        }
    }
    return BAD;
}

static apr_size_t ref_value(const unsigned char *s, apr_size_t len,
                            apr_size_t i)
{
    return i < len && s[i] == '"' ? ref_quoted(s, len, i)
                                  : ref_token(s, len, i);
}

/* parameters = *( OWS ";" OWS [ parameter ] ); a member ends after the
 * last ";" or parameter, so OWS after it is the list's. */
static apr_size_t ref_parameters(const unsigned char *s, apr_size_t len,
                                 apr_size_t i)
{
    for (;;) {
        apr_size_t j = i, k;

        while (ref_ows(s, len, j)) {
            j++;
        }
        if (j == len || s[j] != ';') {
            return i;
        }
        i = ++j;
        while (ref_ows(s, len, j)) {
            j++;
        }
        if (j == len || !ref_tchar(s[j])) {
            continue;
        }
        k = ref_token(s, len, j);
        if (k == len || s[k] != '=') {
            return BAD;
        }
        i = ref_value(s, len, k + 1);
        if (i == BAD) {
            return BAD;
        }
    }
}

/* #expectation, with empty elements; at most EX_MAX_MEMBERS members.
 * Fills r with the members read before any error. */
static void ref_parse(const unsigned char *s, apr_size_t len, ref_field *r)
{
    apr_size_t i = 0;

    r->n = 0;
    r->ok = 0;
    for (;;) {
        apr_size_t start, name_end, end;

        while (ref_ows(s, len, i) || (i < len && s[i] == ',')) {
            i++;
        }
        if (i == len) {
            r->ok = 1;
            return;
        }
        if (r->n == EX_MAX_MEMBERS) {
            return;
        }
        start = i;
        name_end = ref_token(s, len, i);
        if (name_end == BAD) {
            return;
        }
        end = name_end;
        if (end < len && s[end] == '=') {
            end = ref_value(s, len, end + 1);
            if (end != BAD) {
                end = ref_parameters(s, len, end);
            }
            if (end == BAD) {
                return;
            }
        }
        r->m[r->n].start = start;
        r->m[r->n].name_len = name_end - start;
        r->m[r->n].text_len = end - start;
        r->n++;
        i = end;
        while (ref_ows(s, len, i)) {
            i++;
        }
        if (i == len) {
            r->ok = 1;
            return;
        }
        if (s[i] != ',') {
            return;
        }
    }
}

/* ---- checks ----------------------------------------------------------- */

static int is_100_continue(const ex_member *m)
{
    return m->name_len == 12 && strncasecmp(m->name, "100-continue", 12) == 0;
}

/* What expect_field.h promises of a parse, and what the reference says. */
static void check_parse(const char *value, apr_size_t len, int rv,
                        const ex_field *f)
{
    const ex_member *m = (const ex_member *)f->members->elts;
    ref_field ref;
    apr_size_t end = 0;
    int i;

    CHECK(rv == 0 || rv == 1);
    CHECK(rv == (f->error == NULL));
    CHECK(f->members->nelts >= 0 && f->members->nelts <= EX_MAX_MEMBERS);
    CHECK(rv ? f->error_at == 0 : f->error_at <= len);

    for (i = 0; i < f->members->nelts; i++) {
        apr_size_t at = (apr_size_t)(m[i].text - value);

        CHECK(m[i].text >= value && at <= len && m[i].text_len <= len - at);
        CHECK(i == 0 || at > end);      /* in order, a ',' between */
        CHECK(m[i].name == m[i].text);
        CHECK(m[i].name_len >= 1 && m[i].name_len <= m[i].text_len);
        CHECK(ex_is_token(m[i].name, m[i].name_len));
        CHECK(m[i].name_len == m[i].text_len
              || m[i].text[m[i].name_len] == '=');
        CHECK(m[i].text[m[i].text_len - 1] != ' '
              && m[i].text[m[i].text_len - 1] != '\t');
        end = at + m[i].text_len;
    }
    CHECK(rv || f->error_at >= end);

    ref_parse((const unsigned char *)value, len, &ref);
    CHECK(rv == ref.ok);
    CHECK(f->members->nelts == ref.n);
    for (i = 0; i < ref.n; i++) {
        CHECK(m[i].text == value + ref.m[i].start);
        CHECK(m[i].name_len == ref.m[i].name_len);
        CHECK(m[i].text_len == ref.m[i].text_len);
    }
}

/* Each member is a well-formed expectation of its own. */
static void check_members_reparse(apr_pool_t *p, const ex_field *f)
{
    const ex_member *m = (const ex_member *)f->members->elts;
    int i;

    for (i = 0; i < f->members->nelts; i++) {
        ex_field one;

        CHECK(ex_parse(p, m[i].text, m[i].text_len, &one) == 1);
        CHECK(one.members->nelts == 1);
        CHECK(((const ex_member *)one.members->elts)[0].text_len
              == m[i].text_len);
        CHECK(((const ex_member *)one.members->elts)[0].name_len
              == m[i].name_len);
    }
}

static int ref_allowed(const apr_array_header_t *allow, const ex_member *m)
{
    int i;

    for (i = 0; i < allow->nelts; i++) {
        const char *name = ((const char **)allow->elts)[i];

        if (strlen(name) == m->name_len
            && strncasecmp(name, m->name, m->name_len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What the rest of the server sees after one scope's decision, as
 * mod_expect_judge.c makes it: the members no scope dropped, or NULL. */
static const char *seen(apr_pool_t *p, const ex_field *f,
                        const ex_decision *d)
{
    ex_chain ch = { EX_MET, 0, 0 };

    ex_chain_add(&ch, d);
    return ch.dropped_whole ? NULL : ex_join(p, f, ch.dropped);
}

/* ex_decide against what docs/directives.md says a scope does. */
static void check_decision(apr_pool_t *p, const ex_field *f,
                           const apr_array_header_t *allow, ex_policy policy,
                           int http11, const ex_decision *d)
{
    const ex_member *m = (const ex_member *)f->members->elts;
    const int *refused = (const int *)d->refused->elts;
    char *kept = apr_palloc(p, 1);
    int i, r = 0, asks = 0;

    CHECK(d->malformed == (f->error != NULL));
    CHECK(d->refused->nelts >= 0);
    if (d->malformed) {
        CHECK(d->outcome == (policy == EX_POLICY_LENIENT ? EX_IGNORED
                                                         : EX_REJECTED));
        CHECK(d->refused->nelts == 0);
        CHECK(ex_asks_continue(f) == 0);
        if (d->outcome == EX_IGNORED) {
            CHECK(seen(p, f, d) == NULL);
        }
        return;
    }

    kept[0] = '\0';
    for (i = 0; i < f->members->nelts; i++) {
        int ignored = is_100_continue(&m[i]) && !http11;
        int refuse = !ignored && !ref_allowed(allow, &m[i]);

        asks |= is_100_continue(&m[i]);
        if (refuse) {
            CHECK(r < d->refused->nelts && refused[r] == i);
            r++;
            continue;
        }
        kept = apr_pstrcat(p, kept, *kept ? ", " : "",
                           apr_pstrmemdup(p, m[i].text, m[i].text_len),
                           NULL);
    }
    CHECK(r == d->refused->nelts);
    CHECK(ex_asks_continue(f) == asks);
    if (r == 0) {
        CHECK(d->outcome == EX_MET);
    }
    else if (policy != EX_POLICY_LENIENT) {
        CHECK(d->outcome == EX_REJECTED);
    }
    else {
        const char *got = seen(p, f, d);

        CHECK(d->outcome == EX_IGNORED);
        if (*kept) {
            ex_field again;

            CHECK(got != NULL && strcmp(got, kept) == 0);
            /* What the rest of the server sees must parse again. */
            CHECK(ex_parse(p, got, strlen(got), &again) == 1);
            CHECK(again.members->nelts == f->members->nelts - r);
        }
        else {
            CHECK(got == NULL);
        }
    }
}

/* ---- the target ------------------------------------------------------ */

static apr_array_header_t *allow_list(apr_pool_t *p, int kind,
                                      const uint8_t **data, size_t *size)
{
    static const char *const three[] = { "100-continue", "x-foo",
                                         "x-checksum" };
    apr_array_header_t *allow = apr_array_make(p, 3, sizeof(const char *));
    const uint8_t *lf;
    char *names, *name, *last;
    int i;

    switch (kind) {
    case 0:
        *(const char **)apr_array_push(allow) = "100-continue";
        break;
    case 1:
        break;
    case 2:
        for (i = 0; i < 3; i++) {
            *(const char **)apr_array_push(allow) = three[i];
        }
        break;
    default:
        /* As ExpectAllow takes them: tokens, lower-cased.  The value
         * starts after the LF, or is empty. */
        lf = memchr(*data, '\n', *size);
        if (lf == NULL) {
            lf = *data + *size;
        }
        names = apr_pstrmemdup(p, (const char *)*data,
                               (apr_size_t)(lf - *data));
        *size -= (apr_size_t)(lf - *data);
        *data = lf;
        if (*size > 0) {
            (*data)++;
            (*size)--;
        }
        for (name = apr_strtok(names, " ", &last); name;
             name = apr_strtok(NULL, " ", &last)) {
            if (ex_is_token(name, strlen(name))) {
                char *c;

                for (c = name; *c; c++) {
                    *c = apr_tolower(*c);
                }
                *(const char **)apr_array_push(allow) = name;
            }
        }
        break;
    }
    return allow;
}

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
    const uint8_t *value = data + 1;
    size_t len = size - 1;
    apr_pool_t *p;
    apr_array_header_t *allow;
    ex_policy policy;
    ex_field f;
    ex_decision d;
    int http11, rv;

    if (size == 0) {
        return 0;
    }
    policy = data[0] & 1 ? EX_POLICY_LENIENT : EX_POLICY_STRICT;
    http11 = (data[0] >> 1) & 1;
    apr_pool_create(&p, root);
    /* The value is what allow_list() leaves: libFuzzer's buffer ends
     * exactly where it does, so a read past it is caught. */
    allow = allow_list(p, (data[0] >> 2) & 3, &value, &len);
    rv = ex_parse(p, (const char *)value, len, &f);
    check_parse((const char *)value, len, rv, &f);
    check_members_reparse(p, &f);
    ex_decide(p, &f, allow, policy, http11, &d);
    check_decision(p, &f, allow, policy, http11, &d);
    apr_pool_destroy(p);
    return 0;
}
