/* The parser's and the scanner's work on hostile input, counted in
 * instructions: the measure of linear cost that needs no hardware, so it
 * runs on every machine (t/unit/test_linear.c's read counts need debug
 * registers that count, which not every machine has).
 *
 * Each case is run on inputs of 1, 2, 4 and 8 KB under callgrind, with
 * collection on only around the call measured (CALLGRIND_TOGGLE_COLLECT),
 * and a dump after each (CALLGRIND_DUMP_STATS_AT) that this program reads
 * back: the count of instructions executed, in the parser and everything
 * it calls (APR, the C library).  For a given binary and input that count
 * is the same at every run, whatever the load on the machine.
 *
 * The bound: per byte of input, 8 KB may cost at most 1.25 times what 1 KB
 * costs (so 8 KB at most about 10 times 1 KB).  Work that grows linearly
 * costs the same per byte at every size, or less at 8 KB, where the fixed
 * part weighs less.  Work that grows with the square of the length costs
 * about 8 times as much per byte at 8 KB; even a scan that goes back to
 * the start once every 8 KB costs 1.8 times as much.  Cases that stop at
 * a limit (EX_MAX_MEMBERS) must cost as much at 8 KB as at 1 KB, within
 * 10 %.
 *
 * Before the cases, the measure is checked on this machine: a case counted
 * twice gives the same count, and a deliberately quadratic scan is judged
 * not linear.
 *
 *   t/linear/cost        runs itself under valgrind --tool=callgrind
 *
 * Exit status 0 when every case is linear, 1 otherwise. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include <valgrind/callgrind.h>

#include "expect_field.h"
#include "expect_policy.h"
#include "expect_scan.h"
#include "t/unit/linear_shapes.h"

#define SIZES 4                 /* 1, 2, 4 and 8 KB */
#define MAX_GROWTH 1.25         /* per byte, 8 KB against 1 KB */
#define MAX_CAPPED 1.10         /* capped cases, 8 KB against 1 KB */

typedef unsigned long long count;

/* ---- reading callgrind's dumps --------------------------------------- */

static const char *dump_dir;    /* given by the parent, see main() */
static int dumps;

/* Dump the counts collected since the last dump, read them back and drop
 * the file: 0 when there is none (not under callgrind). */
static count dump(void)
{
    char path[PATH_MAX], line[256];
    count total = 0;
    FILE *f;

    CALLGRIND_DUMP_STATS;
    dumps++;
    snprintf(path, sizeof(path), "%s/cg.%d", dump_dir, dumps);
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "totals: ", 8) == 0) {
            total = strtoull(line + 8, NULL, 10);
        }
    }
    fclose(f);
    unlink(path);
    return total;
}

/* ---- what is measured ------------------------------------------------ */

typedef struct {
    int rv;                 /* what ex_parse returned, or -1 */
    int members;
    int scanned;            /* the scanner reached the end of the block */
} outcome;

typedef void (*work)(apr_pool_t *p, const char *data, apr_size_t len,
                     apr_size_t piece, outcome *o);

static void run_parse(apr_pool_t *p, const char *data, apr_size_t len,
                      apr_size_t piece, outcome *o)
{
    ex_field f;

    (void)piece;
    o->rv = ex_parse(p, data, len, &f);
    o->members = f.members->nelts;
}

/* Lenient: one member of the three is kept, whole. */
static void run_decide(apr_pool_t *p, const char *data, apr_size_t len,
                       apr_size_t piece, outcome *o)
{
    apr_array_header_t *allow = apr_array_make(p, 1, sizeof(char *));
    ex_chain ch = { EX_MET, 0, 0 };
    ex_decision d;
    ex_field f;

    (void)piece;
    *(const char **)apr_array_push(allow) = "x-keep";
    o->rv = ex_parse(p, data, len, &f);
    o->members = f.members->nelts;
    ex_decide(p, &f, allow, EX_POLICY_LENIENT, 1, &d);
    ex_chain_add(&ch, &d);
    o->scanned = d.outcome == EX_IGNORED
                 && ex_join(p, &f, ch.dropped) != NULL;
}

/* A header block given in pieces of piece bytes (0: whole), with limits
 * above the largest size measured. */
static void run_scan(apr_pool_t *p, const char *data, apr_size_t len,
                     apr_size_t piece, outcome *o)
{
    apr_size_t off = 0;
    ex_scan_t sc;

    sc.line_max = 16384;
    sc.field_max = 16384;
    sc.fields_max = 10000;
    sc.strict = 1;
    ex_scan_init(&sc, p);
    while (off < len) {
        apr_size_t left = len - off;
        ex_scan_act act;

        if (piece && left > piece) {
            left = piece;
        }
        off += ex_scan(&sc, data + off, left, &act);
        if (act == EX_SCAN_ERROR) {
            break;
        }
    }
    o->scanned = sc.done && ex_scan_value(&sc) != NULL;
}

/* The control: counts the commas of the value, going back to the start
 * of the value once every 512 bytes, as a parser that rescans would.
 * Quadratic, with a constant small enough to hide in a timing. */
static void run_rescan(apr_pool_t *p, const char *data, apr_size_t len,
                       apr_size_t piece, outcome *o)
{
    volatile int commas = 0;
    apr_size_t i, j;

    (void)p;
    (void)piece;
    for (i = 0; i < len; i++) {
        if (i % 512 == 511) {
            for (j = 0; j < i; j++) {
                commas += data[j] == ',';
            }
        }
        commas += data[i] == ',';
    }
    o->rv = commas > 0;
}

/* ---- cases ----------------------------------------------------------- */

typedef struct {
    const char *what;
    const char *head, *unit, *tail;
    work run;
    apr_size_t piece;
    int capped;             /* stops at a limit: flat, not linear */
    int rv, members;        /* for run_parse: what it must give */
} kase;

static const kase more[] = {
    { "thousands of members", "", "m, ", "", run_parse, 0, 1, 0, 64 },
    { "a lenient decision keeping 1 of 3", "x-drop, x-keep=", "a",
      ", x-drop", run_decide, 0, 0, 1, 3 },
    { "a long Expect line, whole", "GET / HTTP/1.1\r\nExpect: ", "a",
      "\r\n\r\n", run_scan, 0, 0, -1, 0 },
    { "a long Expect line, a byte at a time", "GET / HTTP/1.1\r\nExpect: ",
      "a", "\r\n\r\n", run_scan, 1, 0, -1, 0 },
    { "a long Expect line, 7 bytes at a time", "GET / HTTP/1.1\r\nExpect: ",
      "a", "\r\n\r\n", run_scan, 7, 0, -1, 0 },
    { "many Expect lines merged", "GET / HTTP/1.1\r\n", "Expect: a\r\n",
      "\r\n", run_scan, 0, 0, -1, 0 },
    { "an Expect field folded many times", "GET / HTTP/1.1\r\nExpect: a\r\n",
      " b\r\n", "\r\n", run_scan, 0, 0, -1, 0 },
    { "a long other field before Expect", "GET / HTTP/1.1\r\nX-Long: ", "a",
      "\r\nExpect: a\r\n\r\n", run_scan, 0, 0, -1, 0 },
};

#define N_MORE ((int)(sizeof(more) / sizeof(more[0])))

/* head, then unit as often as it fits in len bytes with tail, then tail,
 * in a buffer of exactly that length. */
static char *build(apr_size_t len, const kase *k, apr_size_t *out_len)
{
    apr_size_t hl = strlen(k->head), ul = strlen(k->unit);
    apr_size_t tl = strlen(k->tail), units = (len - hl - tl) / ul, i;
    char *s;

    *out_len = hl + units * ul + tl;
    s = malloc(*out_len);
    if (s == NULL) {
        perror("cost: malloc");
        exit(1);
    }
    memcpy(s, k->head, hl);
    for (i = 0; i < units; i++) {
        memcpy(s + hl + i * ul, k->unit, ul);
    }
    memcpy(s + hl + units * ul, k->tail, tl);
    return s;
}

/* Instructions for one run of k on len bytes, after a run not counted (it
 * binds symbols lazily and warms what is done once).  o gets the counted
 * run's outcome. */
static count measure(const kase *k, const char *data, apr_size_t len,
                     outcome *o)
{
    apr_pool_t *p;
    count n;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        fprintf(stderr, "cost: apr_pool_create failed\n");
        exit(1);
    }
    memset(o, 0, sizeof(*o));
    k->run(p, data, len, k->piece, o);
    apr_pool_clear(p);
    memset(o, 0, sizeof(*o));
    CALLGRIND_ZERO_STATS;       /* nothing from before counts */
    CALLGRIND_TOGGLE_COLLECT;
    k->run(p, data, len, k->piece, o);
    CALLGRIND_TOGGLE_COLLECT;
    n = dump();
    apr_pool_destroy(p);
    return n;
}

static int failures;

static void shape_case(kase *k, const shape *s)
{
    memset(k, 0, sizeof(*k));
    k->what = s->what;
    k->head = s->head;
    k->unit = s->unit;
    k->tail = s->tail;
    k->run = run_parse;
    k->rv = s->parses;
    k->members = s->members;
}

static void fail(const char *what, const char *why)
{
    printf("FAILED  %s: %s\n", what, why);
    failures++;
}

/* Count k at each size and judge, with a line for it: 1 when linear
 * (flat, if capped), 0 when not, -1 when it could not be measured (and
 * that is a failure already).  The line says ok when the judgement is
 * what was wanted. */
static int judge(const kase *k, int want)
{
    count n[SIZES];
    apr_size_t len[SIZES];
    double growth;
    int i, ok = 1;

    for (i = 0; i < SIZES; i++) {
        apr_size_t size = (apr_size_t)1024 << i;
        char *data = build(size, k, &len[i]);
        char why[256];
        outcome o;

        n[i] = measure(k, data, len[i], &o);
        free(data);
        if (n[i] == 0) {
            snprintf(why, sizeof(why), "no instructions counted for %lu "
                     "bytes: is this callgrind?", (unsigned long)len[i]);
            fail(k->what, why);
            return -1;
        }
        /* The input must be what it claims to be, or it tests nothing. */
        if ((k->rv >= 0 && (o.rv != k->rv || o.members != k->members))
            || (k->rv < 0 && !o.scanned)) {
            snprintf(why, sizeof(why), "at %lu bytes, not the outcome "
                     "expected (%d, %d members, scanned %d)",
                     (unsigned long)len[i], o.rv, o.members, o.scanned);
            fail(k->what, why);
            return -1;
        }
    }
    if (k->capped) {
        growth = (double)n[SIZES - 1] / (double)n[0];
        ok = growth <= MAX_CAPPED;
    }
    else {
        growth = ((double)n[SIZES - 1] / (double)len[SIZES - 1])
                 / ((double)n[0] / (double)len[0]);
        ok = growth <= MAX_GROWTH;
    }
    printf("%-7s %-38s %8llu %8llu %8llu %8llu  %s %.2f\n",
           ok == want ? "ok" : "FAILED", k->what, n[0], n[1], n[2], n[3],
           k->capped ? "flat" : "per byte", growth);
    return ok;
}

/* ---- running under callgrind ----------------------------------------- */

static void remove_dir(const char *dir)
{
    char path[PATH_MAX];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Run this program again under callgrind, with collection off at the
 * start and its dumps in a directory of its own; returns its status. */
static int under_callgrind(void)
{
    char self[PATH_MAX], dir[] = "/tmp/mod_expect-cost.XXXXXX";
    char out[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    int status;
    pid_t pid;

    if (n < 0 || mkdtemp(dir) == NULL) {
        perror("cost");
        return 1;
    }
    self[n] = '\0';
    snprintf(out, sizeof(out), "--callgrind-out-file=%s/cg", dir);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        execlp("valgrind", "valgrind", "-q", "--tool=callgrind",
               "--collect-atstart=no", out, self, dir,
               (char *)NULL);
        fprintf(stderr, "cost: cannot run valgrind (%s): install Debian's "
                "valgrind package\n", strerror(errno));
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("cost");
        remove_dir(dir);
        return 1;
    }
    remove_dir(dir);
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    fprintf(stderr, "cost: valgrind ended by signal %d\n", WTERMSIG(status));
    return 1;
}

int main(int argc, char **argv)
{
    static const kase control = {
        "control: a quadratic scan", "", ", ", "", run_rescan, 0, 0, 1, 0
    };
    kase k;
    char *data;
    apr_size_t len;
    count first, again;
    outcome o;
    int i;

    if (!RUNNING_ON_VALGRIND) {
        return under_callgrind();
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s (it runs itself under callgrind)\n",
                argv[0]);
        return 1;
    }
    dump_dir = argv[1];
    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "cost: apr_initialize failed\n");
        return 1;
    }

    printf("instructions (callgrind) for 1, 2, 4 and 8 KB; bound %.2f per "
           "byte, %.2f flat\n", MAX_GROWTH, MAX_CAPPED);

    /* The measure itself, first: the same count twice, and a quadratic
     * scan caught. */
    shape_case(&k, &shapes[4]);
    data = build(8192, &k, &len);
    first = measure(&k, data, len, &o);
    again = measure(&k, data, len, &o);
    free(data);
    if (first == 0 || first != again) {
        char why[128];

        snprintf(why, sizeof(why), "counted %llu, then %llu: the count is "
                 "not repeatable here", first, again);
        fail("control: the same parse twice", why);
    }
    else {
        printf("ok      %-38s %8llu %8llu\n", "control: the same parse twice",
               first, again);
    }
    if (judge(&control, 0) == 1) {
        fail(control.what, "judged linear: the measure cannot tell");
    }

    for (i = 0; i < N_SHAPES; i++) {
        shape_case(&k, &shapes[i]);
        if (judge(&k, 1) == 0) {
            failures++;
        }
    }
    for (i = 0; i < N_MORE; i++) {
        if (judge(&more[i], 1) == 0) {
            failures++;
        }
    }

    apr_terminate();
    printf("t/linear/cost: %d cases, %s\n", N_SHAPES + N_MORE,
           failures ? "NOT all linear" : "all linear");
    return failures ? 1 : 0;
}
