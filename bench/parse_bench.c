/* The Expect parser alone (ex_parse), and the header scanner (ex_scan) and
 * the quick path before it (ex_quick) on a head without Expect, timed over
 * APR.
 *
 *   parse_bench            time every case: name, bytes, ns per call
 *   parse_bench CASE N     call case CASE (its name) N times, untimed: for
 *                          valgrind --tool=callgrind --toggle-collect=...
 *
 * bench/run.pl runs both and prints ns and instructions per field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "expect_field.h"
#include "expect_policy.h"
#include "expect_scan.h"

typedef struct {
    const char *name;
    const char *what;
    char *value;                /* NULL: the scanner case */
    apr_size_t len;
} bench_case;

/* The head of a browser's GET: a request line, ten fields, the end. */
static const char *const head_lines[] = {
    "GET /small.txt HTTP/1.1\r\n",
    "Host: 127.0.0.1:8080\r\n",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
    "Firefox/128.0\r\n",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
    "image/avif,image/webp,*/*;q=0.8\r\n",
    "Accept-Language: en-US,en;q=0.5\r\n",
    "Accept-Encoding: gzip, deflate, br\r\n",
    "Referer: http://127.0.0.1/index.html\r\n",
    "Cookie: session=6f1c2e0a9b7d4c35; theme=dark; "
    "_ga=GA1.1.1234567890.1700000000\r\n",
    "Upgrade-Insecure-Requests: 1\r\n",
    "Sec-Fetch-Dest: document\r\n",
    "Sec-Fetch-Mode: navigate\r\n",
    "\r\n",
    NULL
};

/* Their lengths, for the quick path (the filter knows a read's length). */
static apr_size_t head_lens[sizeof(head_lines) / sizeof(head_lines[0])];

/* A value of about len bytes: unit repeated after prefix. */
static char *repeat(apr_pool_t *p, const char *prefix, const char *unit,
                    apr_size_t len, apr_size_t *out_len)
{
    apr_size_t pl = strlen(prefix), ul = strlen(unit);
    apr_size_t n = len > pl ? (len - pl) / ul : 0;
    char *s = apr_palloc(p, pl + n * ul + 1);
    apr_size_t i;

    memcpy(s, prefix, pl);
    for (i = 0; i < n; i++) {
        memcpy(s + pl + i * ul, unit, ul);
    }
    s[pl + n * ul] = '\0';
    *out_len = pl + n * ul;
    return s;
}

static int make_cases(apr_pool_t *p, bench_case *c)
{
    static const apr_size_t sizes[] = { 1024, 2048, 4096, 8192 };
    int n = 0;
    size_t i;

    c[n].name = "continue";
    c[n].what = "100-continue";
    c[n].value = apr_pstrdup(p, "100-continue");
    c[n].len = strlen(c[n].value);
    n++;

    c[n].name = "list";
    c[n].what = "a list of 8 members";
    c[n].value = apr_pstrdup(p, "100-continue, x-checksum=sha256;v=1, "
                             "x-trace, x-a=\"quoted, value\", x-b;p=1;q=2, "
                             "x-c=token, , x-d, X-E=\"\\\"esc\\\"\"");
    c[n].len = strlen(c[n].value);
    n++;

    /* Hostile: what goes on to the end of an 8 KB field (a list stops at
     * EX_MAX_MEMBERS members): empty elements with OWS, and one member
     * with thousands of parameters. */
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        c[n].name = apr_psprintf(p, "empty%lu", (unsigned long)sizes[i]);
        c[n].what = apr_psprintf(p, "hostile: empty elements, %lu bytes",
                                 (unsigned long)sizes[i]);
        c[n].value = repeat(p, "100-continue", " ,\t,", sizes[i], &c[n].len);
        n++;
    }
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        c[n].name = apr_psprintf(p, "params%lu", (unsigned long)sizes[i]);
        c[n].what = apr_psprintf(p, "hostile: parameters, %lu bytes",
                                 (unsigned long)sizes[i]);
        c[n].value = repeat(p, "x-a=b", " ; p=\"v\"", sizes[i], &c[n].len);
        n++;
    }

    c[n].name = "scan";
    c[n].what = "scanner: 12-line GET head, no Expect, a line at a time";
    c[n].value = NULL;
    c[n].len = 0;
    for (i = 0; head_lines[i]; i++) {
        head_lens[i] = strlen(head_lines[i]);
        c[n].len += head_lens[i];
    }
    n++;

    c[n] = c[n - 1];
    c[n].name = "quick";
    c[n].what = "quick path: the same head, as EXPECT_IN reads it";
    n++;
    return n;
}

static int run_scan(apr_pool_t *p)
{
    ex_scan_t sc;
    int i;

    sc.line_max = 8192;
    sc.field_max = 8190;
    sc.fields_max = 100;
    sc.strict = 1;
    ex_scan_init(&sc, p);
    for (i = 0; head_lines[i]; i++) {
        const char *s = head_lines[i];
        apr_size_t len = strlen(s);

        while (len > 0) {
            ex_scan_act act;
            apr_size_t n = ex_scan(&sc, s, len, &act);

            s += n;
            len -= n;
        }
    }
    return sc.done && ex_scan_value(&sc) == NULL;
}

/* What the filter does for each read of a head without Expect.  Not
 * inlined: callgrind counts it by name. */
__attribute__((noinline)) static int run_quick(void)
{
    apr_uintptr_t word = ex_quick_start(100);
    int i;

    for (i = 0; head_lines[i]; i++) {
        const char *s = head_lines[i];
        apr_size_t len = head_lens[i];

        if (ex_quick(&word, s, len, s[len - 1] == '\n') != EX_QUICK_PASS) {
            return head_lines[i + 1] == NULL;
        }
    }
    return 0;
}

/* One call of the case.  Returns 1 when it did what it should. */
static int run_once(apr_pool_t *p, const bench_case *c)
{
    ex_field field;

    if (strcmp(c->name, "quick") == 0) {
        return run_quick();
    }
    if (c->value == NULL) {
        return run_scan(p);
    }
    return ex_parse(p, c->value, c->len, &field) || field.error != NULL;
}

/* Call it n times; the pool is cleared every 256 calls. */
static int run_many(apr_pool_t *p, const bench_case *c, long n)
{
    long i;
    int ok = 1;

    for (i = 0; i < n; i++) {
        ok &= run_once(p, c);
        if ((i & 255) == 255) {
            apr_pool_clear(p);
        }
    }
    return ok;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    apr_pool_t *p, *work;
    bench_case cases[16];
    int ncases, i;

    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_pool_create(&work, p);
    ncases = make_cases(p, cases);

    if (argc == 3) {
        for (i = 0; i < ncases; i++) {
            if (strcmp(cases[i].name, argv[1]) == 0) {
                return run_many(work, &cases[i], atol(argv[2])) ? 0 : 1;
            }
        }
        fprintf(stderr, "no case %s\n", argv[1]);
        return 2;
    }

    for (i = 0; i < ncases; i++) {
        double t[7];
        long n = 1000;
        int r;

        if (!run_many(work, &cases[i], 1)) {
            fprintf(stderr, "%s: unexpected result\n", cases[i].name);
            return 1;
        }
        /* About 20 ms a round; the fastest of 7 rounds, as other work on the
         * machine only ever adds time. */
        for (;;) {
            double t0 = now_ns();

            run_many(work, &cases[i], n);
            if (now_ns() - t0 > 2e7) {
                break;
            }
            n *= 2;
        }
        for (r = 0; r < 7; r++) {
            double t0 = now_ns();

            run_many(work, &cases[i], n);
            t[r] = (now_ns() - t0) / n;
        }
        qsort(t, 7, sizeof(t[0]), cmp_double);
        printf("%s\t%lu\t%.1f\t%s\n", cases[i].name,
               (unsigned long)cases[i].len, t[0], cases[i].what);
    }
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
