/* The parser's work must grow linearly with the field's length, whatever a
 * client puts in it (and so must the scanner's).  Measured without a clock,
 * two ways here:
 *
 *   - Reads.  A hardware watchpoint (perf_event_open, PERF_TYPE_BREAKPOINT:
 *     the CPU's debug registers) counts every load of a watched byte of the
 *     value.  A linear parser looks at each byte a bounded number of times,
 *     whatever the length; one that rescans, say from the start of the
 *     member or of the field, reads early bytes once per later element.
 *   - Allocations.  apr_palloc is interposed for the whole test binary (a
 *     definition here comes before libapr's in the dynamic linker's order,
 *     and libapr calls its own through the PLT) and counts what is asked
 *     of pools.  ex_parse allocates per member only: nothing per byte, per
 *     empty element or per parameter.
 *
 * Watchpoints are trusted only once they have counted right here: some
 * machines (a container on some hosts, a VM whose hypervisor does not pass
 * the debug registers on) open them, then never fire.  Where they do not
 * count exactly, the read counts are skipped with a message, and only
 * them: t/linear/cost.c, run by `make -f Makefile.apxs unit` on every
 * machine, counts the instructions of the same inputs under callgrind.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "expect_field.h"
#include "expect_policy.h"
#include "expect_scan.h"
#include "linear_shapes.h"
#include "unit.h"

/* x86 has four debug registers. */
#define WATCHES 4

typedef struct {
    int fd[WATCHES];
    long long reads[WATCHES];
} watch;

static apr_pool_t *pool;
static watch *armed;            /* for teardown, should a test stop */

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    int i;

    if (armed != NULL) {
        for (i = 0; i < WATCHES; i++) {
            if (armed->fd[i] >= 0) {
                close(armed->fd[i]);
            }
        }
        armed = NULL;
    }
    apr_pool_destroy(pool);
    pool = NULL;
}

static apr_status_t unmalloc(void *p)
{
    free(p);
    return APR_SUCCESS;
}

/* A malloc'ed block that teardown frees: a test stopped by a failed check
 * leaks nothing, and shows only its failure (under CK_FORK=no,
 * LeakSanitizer and memcheck would see what it had not freed yet). */
static void *owned(apr_size_t size)
{
    void *p = malloc(size ? size : 1);

    ck_assert_ptr_nonnull(p);
    apr_pool_cleanup_register(pool, p, unmalloc, apr_pool_cleanup_null);
    return p;
}

/* A buffer of size bytes in pages of its own, its last byte the last one
 * before a page that cannot be read.  What a watchpoint counts must be
 * reads of the buffer: a libc string function reads whole aligned
 * vectors, up to 128 bytes past the end of its own string, so a strlen()
 * of the string malloc placed just before a watched buffer counted as
 * reads of the buffer's first bytes (8 of them, in Check's own calls
 * while the watchpoints were being armed), depending only on where
 * earlier tests had left the heap.  A read past the end faults, with or
 * without ASan. */
typedef struct {
    char *base;
    apr_size_t span;
} mapping;

static apr_status_t unmap(void *data)
{
    mapping *m = data;

    munmap(m->base, m->span);
    return APR_SUCCESS;
}

static char *isolated(apr_size_t size)
{
    apr_size_t page = (apr_size_t)sysconf(_SC_PAGESIZE);
    apr_size_t data = (size + page - 1) / page * page;
    mapping *m = apr_palloc(pool, sizeof(*m));

    m->span = data + page;
    m->base = mmap(NULL, m->span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(m->base != MAP_FAILED, "mmap: %s", strerror(errno));
    apr_pool_cleanup_register(pool, m, unmap, apr_pool_cleanup_null);
    ck_assert_int_eq(mprotect(m->base + data, page, PROT_NONE), 0);
    return m->base + data - size;
}

/* ---- counting allocations -------------------------------------------- */

static apr_size_t alloc_bytes;

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    static void *(*real)(apr_pool_t *, apr_size_t);

    if (real == NULL) {
        *(void **)&real = dlsym(RTLD_NEXT, "apr_palloc");
        if (real == NULL) {
            abort();
        }
    }
    alloc_bytes += size;
    return real(p, size);
}

/* ---- counting reads -------------------------------------------------- */

/* Whether the watchpoints count exactly here: set by linear_tcase(), before
 * Check forks, from calibrate(). */
static int watching;

/* EXPECT_SIMULATE_DEAD_WATCHPOINTS=1 makes every watchpoint watch this
 * byte, which nothing reads: they open, and count 0, as on a machine where
 * they never fire.  It shows what the suite does there. */
static char decoy;
static int simulate_dead;

/* Open a disabled watchpoint on the byte at (on the decoy when dead): a
 * file descriptor, or -1 with errno. */
static int watch_open(const volatile char *at, int dead)
{
    struct perf_event_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_BREAKPOINT;
    attr.size = sizeof(attr);
    attr.bp_type = HW_BREAKPOINT_RW;    /* x86 has no read-only kind */
    attr.bp_addr = dead ? (uintptr_t)&decoy : (uintptr_t)at;
    attr.bp_len = HW_BREAKPOINT_LEN_1;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

/* Can the read counts be believed?  Four watchpoints on four bytes of a
 * buffer; byte i is read CALIBRATE_READS + i times, each of its neighbours
 * as often, by volatile loads of one byte.  Every count must come out
 * exactly: 0 is a watchpoint that never fires, anything else one that
 * fires on the wrong loads or misses some.  Returns 1 or 0; why says
 * what was wrong.  What is read is summed into calibration_sum: valgrind
 * drops a load whose value is never used, volatile or not. */
#define CALIBRATE_READS 1000

static volatile unsigned calibration_sum;

static int calibrate(int dead, char *why, apr_size_t why_size)
{
    static volatile char bytes[4 * WATCHES + 1];
    int fd[WATCHES], i, ok = 1;
    long long want, got;
    unsigned sum = 0;

    for (i = 0; i < WATCHES; i++) {
        fd[i] = -1;
    }
    for (i = 0; i < WATCHES && ok; i++) {
        fd[i] = watch_open(&bytes[4 * i + 2], dead);
        if (fd[i] < 0) {
            snprintf(why, why_size, "perf_event_open: %s", strerror(errno));
            ok = 0;
        }
    }
    for (i = 0; i < WATCHES && ok; i++) {
        if (ioctl(fd[i], PERF_EVENT_IOC_ENABLE, 0) != 0) {
            snprintf(why, why_size, "enabling a watchpoint: %s",
                     strerror(errno));
            ok = 0;
        }
    }
    if (ok) {
        for (i = 0; i < WATCHES; i++) {
            int k;

            for (k = 0; k < CALIBRATE_READS + i; k++) {
                sum += bytes[4 * i + 1] + bytes[4 * i + 2]
                       + bytes[4 * i + 3];
            }
        }
    }
    for (i = 0; i < WATCHES && ok; i++) {
        ioctl(fd[i], PERF_EVENT_IOC_DISABLE, 0);
    }
    calibration_sum = sum;
    for (i = 0; i < WATCHES && ok; i++) {
        want = CALIBRATE_READS + i;
        if (read(fd[i], &got, sizeof(got)) != (ssize_t)sizeof(got)) {
            snprintf(why, why_size, "reading a watchpoint's count: %s",
                     strerror(errno));
            ok = 0;
        }
        else if (got != want) {
            snprintf(why, why_size, "a byte read %lld times counted %lld "
                     "times", want, got);
            ok = 0;
        }
    }
    for (i = 0; i < WATCHES; i++) {
        if (fd[i] >= 0) {
            close(fd[i]);
        }
    }
    return ok;
}

static void watch_start(watch *w, const char *const at[WATCHES])
{
    int i;

    if (!watching) {
        return;
    }
    for (i = 0; i < WATCHES; i++) {
        w->fd[i] = -1;
    }
    armed = w;
    for (i = 0; i < WATCHES; i++) {
        w->fd[i] = watch_open(at[i], simulate_dead);
        ck_assert_msg(w->fd[i] >= 0, "perf_event_open: %s", strerror(errno));
    }
    for (i = 0; i < WATCHES; i++) {
        ck_assert_int_eq(ioctl(w->fd[i], PERF_EVENT_IOC_ENABLE, 0), 0);
    }
}

static void watch_stop(watch *w)
{
    int i;

    if (!watching) {
        return;
    }
    for (i = 0; i < WATCHES; i++) {
        ck_assert_int_eq(ioctl(w->fd[i], PERF_EVENT_IOC_DISABLE, 0), 0);
    }
    for (i = 0; i < WATCHES; i++) {
        ck_assert_int_eq(read(w->fd[i], &w->reads[i], sizeof(w->reads[i])),
                         (ssize_t)sizeof(w->reads[i]));
        close(w->fd[i]);
        w->fd[i] = -1;
    }
    armed = NULL;
}

/* The calibration is what stands between a dead watchpoint and 15 false
 * failures: it must refuse one.  The decoy makes any machine's dead. */
START_TEST(calibration_refuses_watchpoints_that_do_not_fire)
{
    char why[128];

    why[0] = '\0';
    ck_assert_int_eq(calibrate(1, why, sizeof(why)), 0);
    ck_assert_msg(strstr(why, "counted 0 times") != NULL
                  || strstr(why, "perf_event_open") != NULL, "%s", why);
}
END_TEST

/* Where the parent found them exact, they are exact in a test too. */
START_TEST(watchpoints_count_exactly_where_used)
{
    char why[128];

    if (watching) {
        ck_assert_msg(calibrate(simulate_dead, why, sizeof(why)) == 1,
                      "%s", why);
    }
}
END_TEST

/* The parser may step back over one OWS run, so a byte is scanned at most
 * twice, and each scan compares it with at most a few characters: how many
 * loads that makes depends on the compiler (at most 6 with gcc -O0, clang
 * -O1 with ASan, or under valgrind), but not on the length.  A parser that
 * rescans reads early bytes hundreds of times at these sizes. */
#define MAX_READS 8

/* ---- fields ---------------------------------------------------------- */

#define N 2048                  /* and 4 * N = 8 KB */

/* head, then unit as often as it fits in len bytes with tail, then tail:
 * in an isolated() buffer of exactly that length, so a read past the end
 * faults.  Teardown unmaps it. */
static char *build(apr_size_t len, const char *head, const char *unit,
                   const char *tail, apr_size_t *out_len)
{
    apr_size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    apr_size_t units = (len - hl - tl) / ul, i;
    char *s;

    *out_len = hl + units * ul + tl;
    s = isolated(*out_len);
    memcpy(s, head, hl);
    for (i = 0; i < units; i++) {
        memcpy(s + hl + i * ul, unit, ul);
    }
    memcpy(s + hl + units * ul, tail, tl);
    return s;
}

typedef struct {
    int rv;
    int members;
    apr_size_t bytes;
    long long reads[WATCHES];
} parse_cost;

/* Parse value, watching four of its bytes: the second, a quarter, the
 * middle and the last but one. */
static void parse_watched(const char *value, apr_size_t len, parse_cost *c)
{
    const char *at[WATCHES];
    apr_size_t before;
    ex_field f;
    watch w;
    int i;

    at[0] = value + 1;
    at[1] = value + len / 4;
    at[2] = value + len / 2;
    at[3] = value + len - 2;
    before = alloc_bytes;
    watch_start(&w, at);
    c->rv = ex_parse(pool, value, len, &f);
    watch_stop(&w);
    c->bytes = alloc_bytes - before;
    c->members = f.members->nelts;
    for (i = 0; i < WATCHES; i++) {
        c->reads[i] = w.reads[i];
    }
}

START_TEST(parse_reads_each_byte_a_bounded_number_of_times)
{
    const shape *s = &shapes[_i];
    apr_size_t size;

    for (size = N; size <= 4 * N; size *= 4) {
        apr_size_t len;
        char *value = build(size, s->head, s->unit, s->tail, &len);
        parse_cost c;
        int i;

        parse_watched(value, len, &c);
        ck_assert_msg(c.rv == s->parses, "%s, %lu bytes: ex_parse gave %d",
                      s->what, (unsigned long)len, c.rv);
        ck_assert_int_eq(c.members, s->members);
        for (i = 0; watching && i < WATCHES; i++) {
            /* At least once: every byte matters, and it shows that the
             * watchpoint works. */
            ck_assert_msg(c.reads[i] >= 1 && c.reads[i] <= MAX_READS,
                          "%s, %lu bytes: watched byte %d read %lld times",
                          s->what, (unsigned long)len, i, c.reads[i]);
        }
    }
}
END_TEST

START_TEST(parse_allocates_nothing_per_byte)
{
    const shape *s = &shapes[_i];
    apr_size_t len_n, len_4n;
    char *value_n = build(N, s->head, s->unit, s->tail, &len_n);
    char *value_4n = build(4 * N, s->head, s->unit, s->tail, &len_4n);
    parse_cost n, four_n;

    parse_watched(value_n, len_n, &n);
    parse_watched(value_4n, len_4n, &four_n);
    ck_assert_msg(n.bytes == four_n.bytes,
                  "%s: %lu bytes allocated for %lu bytes, %lu for %lu",
                  s->what, (unsigned long)n.bytes, (unsigned long)len_n,
                  (unsigned long)four_n.bytes, (unsigned long)len_4n);
}
END_TEST

static apr_size_t parse_bytes(const char *value, apr_size_t len, int *rv)
{
    apr_size_t before = alloc_bytes;
    ex_field f;

    *rv = ex_parse(pool, value, len, &f);
    return alloc_bytes - before;
}

START_TEST(parse_allocates_per_member_only)
{
    apr_size_t len;
    char *empties = build(4 * N, "", ",", "", &len);
    char *one_and_empties = build(4 * N, ",x", ",", "", &len);
    char *three = build(9, "", "m, ", "", &len);
    char *max = build(EX_MAX_MEMBERS * 3, "", "m, ", "", &len);
    apr_size_t none, one, three_b, max_b;
    int rv;

    none = parse_bytes("", 0, &rv);
    ck_assert_uint_eq(parse_bytes(empties, 4 * N, &rv), none);
    ck_assert_int_eq(rv, 1);
    one = parse_bytes("x", 1, &rv);
    ck_assert_uint_eq(parse_bytes(one_and_empties, 4 * N, &rv), one);
    ck_assert_int_eq(rv, 1);

    /* The count is real: more members take more (the array starts with
     * room for two). */
    three_b = parse_bytes(three, 9, &rv);
    ck_assert_int_eq(rv, 1);
    max_b = parse_bytes(max, len, &rv);
    ck_assert_int_eq(rv, 1);
    ck_assert_uint_lt(none, three_b);
    ck_assert_uint_lt(three_b, max_b);

}
END_TEST

/* Thousands of members: refused at the first one over EX_MAX_MEMBERS,
 * without looking at the rest, at the cost of EX_MAX_MEMBERS members. */
START_TEST(thousands_of_members_cost_the_same_as_the_maximum)
{
    apr_size_t len_max, len_n, len_4n, cap;
    char *over = build((EX_MAX_MEMBERS + 1) * 3, "", "m, ", "", &len_max);
    char *value_n = build(N, "", "m, ", "", &len_n);
    char *value_4n = build(4 * N, "", "m, ", "", &len_4n);
    parse_cost n, four_n;
    int rv, i;

    cap = parse_bytes(over, len_max, &rv);
    ck_assert_int_eq(rv, 0);
    parse_watched(value_n, len_n, &n);
    parse_watched(value_4n, len_4n, &four_n);
    ck_assert_int_eq(n.rv, 0);
    ck_assert_int_eq(four_n.rv, 0);
    ck_assert_uint_eq(n.bytes, cap);
    ck_assert_uint_eq(four_n.bytes, cap);
    ck_assert_int_eq(four_n.members, EX_MAX_MEMBERS);
    /* The second byte is in the first member; the others lie past the
     * first byte of the 65th (offset 192), where the parser stops. */
    ck_assert_int_ge(watching ? four_n.reads[0] : 1, 1);
    for (i = 1; watching && i < WATCHES; i++) {
        ck_assert_msg(n.reads[i] == 0 && four_n.reads[i] == 0,
                      "watched byte %d past the limit read %lld, %lld "
                      "times", i, n.reads[i], four_n.reads[i]);
    }
}
END_TEST

/* A lenient decision and the value it leaves the application (ex_chain_add
 * and ex_join, as mod_expect_judge.c makes it) allocate in proportion to
 * the value: the kept value is a copy of the members kept, nothing more. */
START_TEST(lenient_decision_allocates_at_most_the_kept_value)
{
    apr_array_header_t *allow = apr_array_make(pool, 1, sizeof(char *));
    apr_size_t size;

    *(const char **)apr_array_push(allow) = "x-keep";
    for (size = N; size <= 16 * N; size *= 4) {
        apr_size_t len, before;
        char *value = build(size, "x-drop, x-keep=", "a", ", x-drop", &len);
        ex_field f;
        ex_decision d;
        ex_chain ch = { EX_MET, 0, 0 };
        const char *kept;

        ck_assert_int_eq(ex_parse(pool, value, len, &f), 1);
        before = alloc_bytes;
        ex_decide(pool, &f, allow, EX_POLICY_LENIENT, 1, &d);
        ck_assert_int_eq(d.outcome, EX_IGNORED);
        ex_chain_add(&ch, &d);
        kept = ex_join(pool, &f, ch.dropped);
        ck_assert_uint_eq(strlen(kept), len - 16);
        ck_assert_msg(alloc_bytes - before <= len + 256,
                      "%lu bytes allocated to decide on %lu",
                      (unsigned long)(alloc_bytes - before),
                      (unsigned long)len);
    }
}
END_TEST

/* ---- the scanner ----------------------------------------------------- */

static void scan_init(ex_scan_t *sc, int fields_max)
{
    sc->line_max = 4 * N + 2;
    sc->field_max = 4 * N;
    sc->fields_max = fields_max;
    sc->strict = 1;
    ex_scan_init(sc, pool);
}

/* Feed block[0..len) in pieces of piece bytes (0: whole); returns the
 * bytes allocated.  No error is expected. */
static apr_size_t scan_all(ex_scan_t *sc, const char *block, apr_size_t len,
                           apr_size_t piece)
{
    apr_size_t before = alloc_bytes, off = 0;

    while (off < len) {
        apr_size_t left = len - off;
        ex_scan_act act;

        if (piece && left > piece) {
            left = piece;
        }
        off += ex_scan(sc, block + off, left, &act);
        ck_assert_msg(act != EX_SCAN_ERROR, "scan error: %s", sc->error);
    }
    ck_assert_int_eq(sc->done, 1);
    return alloc_bytes - before;
}

/* Many Expect lines merge into one value that grows by doubling: the bytes
 * allocated for 4k lines are at most 8 times those for k lines (4 times,
 * and each sum of doublings may end up to twice what it needs).  A value
 * grown by what each line needs would copy it once per line: 16 times. */
START_TEST(merging_expect_lines_allocates_linearly)
{
    apr_size_t bytes[2], len;
    int lines[2] = { 500, 2000 }, k;

    for (k = 0; k < 2; k++) {
        char *block = build(16 + 11 * (apr_size_t)lines[k] + 2,
                            "GET / HTTP/1.1\r\n", "Expect: a\r\n", "\r\n",
                            &len);
        ex_scan_t sc;

        scan_init(&sc, lines[k]);
        bytes[k] = scan_all(&sc, block, len, 0);
        ck_assert_int_eq(sc.fields, lines[k]);
        ck_assert_uint_eq(strlen(ex_scan_value(&sc)),
                          3 * (apr_size_t)lines[k] - 2);
    }
    ck_assert_msg(bytes[1] <= 8 * bytes[0],
                  "%lu bytes allocated for %d lines, %lu for %d",
                  (unsigned long)bytes[0], lines[0],
                  (unsigned long)bytes[1], lines[1]);
}
END_TEST

START_TEST(folded_expect_field_allocates_linearly)
{
    apr_size_t bytes[2], len;
    int folds[2] = { 500, 2000 }, k;

    for (k = 0; k < 2; k++) {
        char *block = build(27 + 4 * (apr_size_t)folds[k] + 2,
                            "GET / HTTP/1.1\r\nExpect: a\r\n", " b\r\n",
                            "\r\n", &len);
        ex_scan_t sc;

        scan_init(&sc, 1);
        bytes[k] = scan_all(&sc, block, len, 0);
        ck_assert_uint_eq(strlen(ex_scan_value(&sc)),
                          1 + 2 * (apr_size_t)folds[k]);
    }
    ck_assert_msg(bytes[1] <= 8 * bytes[0],
                  "%lu bytes allocated for %d folds, %lu for %d",
                  (unsigned long)bytes[0], folds[0],
                  (unsigned long)bytes[1], folds[1]);
}
END_TEST

/* An 8 KB Expect line, given whole, a byte at a time or in pieces of 7:
 * each of its bytes is read a bounded number of times.  Each piece is in a
 * buffer of its own, as a bucket is: memchr() loads a whole vector at a
 * time, so on one shared buffer a call given one byte would also load the
 * next 31 or so, which says nothing of the scanner. */
START_TEST(long_expect_line_is_read_a_bounded_number_of_times)
{
    static const apr_size_t sizes[] = { 0, 1, 7 };
    apr_size_t len, offsets[WATCHES];
    char *block = build(16 + 4 * N + 2, "GET / HTTP/1.1\r\nExpect: ", "a",
                        "\r\n\r\n", &len);
    int k, i;

    offsets[0] = 25;
    offsets[1] = len / 4;
    offsets[2] = len / 2;
    offsets[3] = len - 6;
    for (k = 0; k < 3; k++) {
        apr_size_t size = sizes[k] ? sizes[k] : len;
        apr_size_t n = (len + size - 1) / size, j;
        char **pieces = owned(n * sizeof(*pieces));
        const char *at[WATCHES];
        ex_scan_t sc;
        watch w;

        for (j = 0; j < n; j++) {
            apr_size_t l = j < n - 1 ? size : len - j * size;
            int watched = 0;

            for (i = 0; i < WATCHES; i++) {
                watched |= offsets[i] / size == j;
            }
            /* The watched ones in pages of their own (see isolated()). */
            pieces[j] = watched ? isolated(l) : owned(l);
            memcpy(pieces[j], block + j * size, l);
        }
        for (i = 0; i < WATCHES; i++) {
            at[i] = pieces[offsets[i] / size] + offsets[i] % size;
        }
        scan_init(&sc, 1);
        watch_start(&w, at);
        for (j = 0; j < n; j++) {
            apr_size_t l = j < n - 1 ? size : len - j * size, off = 0;

            while (off < l) {
                ex_scan_act act;

                off += ex_scan(&sc, pieces[j] + off, l - off, &act);
                ck_assert_int_ne(act, EX_SCAN_ERROR);
            }
        }
        watch_stop(&w);
        ck_assert_int_eq(sc.done, 1);
        ck_assert_uint_eq(strlen(ex_scan_value(&sc)), len - 28);
        for (i = 0; watching && i < WATCHES; i++) {
            ck_assert_msg(w.reads[i] >= 1 && w.reads[i] <= MAX_READS,
                          "pieces of %lu: watched byte %d read %lld times",
                          (unsigned long)size, i, w.reads[i]);
        }
    }
}
END_TEST

TCase *linear_tcase(void)
{
    TCase *tc = tcase_create("linear");
    const char *dead = getenv("EXPECT_SIMULATE_DEAD_WATCHPOINTS");
    char why[128];

    /* Once, here, before Check forks a process per test. */
    simulate_dead = dead != NULL && strcmp(dead, "1") == 0;
    watching = calibrate(simulate_dead, why, sizeof(why));
    if (watching) {
        fprintf(stderr, "linear: hardware watchpoints count exactly here: "
                "the read counts are checked\n");
    }
    else {
        fprintf(stderr, "linear: hardware watchpoints do not count here "
                "(%s%s): the read counts are SKIPPED; t/linear/cost "
                "(make -f Makefile.apxs unit) checks linearity by "
                "instruction counts\n", why,
                simulate_dead ? ", simulated" : "");
    }

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, calibration_refuses_watchpoints_that_do_not_fire);
    tcase_add_test(tc, watchpoints_count_exactly_where_used);

    tcase_add_loop_test(tc, parse_reads_each_byte_a_bounded_number_of_times,
                        0, N_SHAPES);
    tcase_add_loop_test(tc, parse_allocates_nothing_per_byte, 0, N_SHAPES);
    tcase_add_test(tc, parse_allocates_per_member_only);
    tcase_add_test(tc, thousands_of_members_cost_the_same_as_the_maximum);
    tcase_add_test(tc, lenient_decision_allocates_at_most_the_kept_value);
    tcase_add_test(tc, merging_expect_lines_allocates_linearly);
    tcase_add_test(tc, folded_expect_field_allocates_linearly);
    tcase_add_test(tc, long_expect_line_is_read_a_bounded_number_of_times);
    return tc;
}
