/* expect_counters.c: what mod_expect decided, counted in memory shared by
 * every process and thread of the server, and read at one moment as a
 * snapshot for mod_status and the metrics handler. */
#ifndef EXPECT_COUNTERS_H
#define EXPECT_COUNTERS_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "expect_field.h"
#include "expect_policy.h"

/* A counter in the shared memory.  Every one is 8-byte aligned, on every
 * ABI: i386 aligns a 64-bit member to 4 bytes only, and an atomic on a
 * counter that crosses a cache line is a split lock there (a trap with
 * split_lock_detect=fatal), while a 64-bit load of it may tear.  The
 * layout is the same on every architecture Debian builds. */
#define EX_COUNTER _Alignas(8) volatile apr_uint64_t

/* Members are counted by name only for the names the server configuration
 * lists: the parent process gives each a slot (ex_counters_assign), and a
 * request only looks the slots up.  Every other name, a name too long for a
 * slot and a listed name that found none are counted together as "other".
 * So no client can fill the table: it holds what the admin configured. */
#define EX_NAMES_MAX 64
#define EX_NAME_SIZE 64         /* with the NUL: names of up to 63 bytes */

typedef struct {
    EX_COUNTER count;
    volatile apr_uint32_t seq;    /* odd while the parent writes the slot:
                                   * see expect_counters.c */
    char name[EX_NAME_SIZE];      /* lower case; "" in a free slot */
} ex_name_slot;

/* What became of a 100-continue the module met, on a request with a body
 * (docs/status.md, "What became of a 100-continue", defines each). */
typedef enum {
    EX_CONT_NONE = 0,        /* not decided yet */
    EX_CONT_SENT,            /* the interim 100 went out first */
    EX_CONT_SKIPPED,         /* a final status went out first */
    EX_CONT_EARLY,           /* body bytes came before any 100 */
    EX_CONT_ABANDONED,       /* the client went away before any of them */
    EX_CONT_UNKNOWN          /* httpd cannot see the order that decides
                              * between two of the above: a reset or an
                              * end it cannot place before or after the
                              * 100 or the final status, or (mod_http2
                              * 1.x) DATA it may not have seen yet */
} ex_cont_outcome;

/* The outcomes but EX_CONT_NONE. */
#define EX_CONT_OUTCOMES 5

/* [0] HTTP/1.x, [1] HTTP/2 */
#define EX_CONT_PROTOS 2

/* The delay to the 100 is also counted in fixed buckets, for quantiles:
 * upper bounds from 100 us to 10 s (ex_delay_bounds_us), and one above. */
#define EX_DELAY_BUCKETS 16

typedef struct {
    EX_COUNTER sent;
    EX_COUNTER skipped;
    EX_COUNTER early_body;
    EX_COUNTER abandoned;
    EX_COUNTER unknown;
    EX_COUNTER delay_us;                /* sum over sent: from the end of
                                         * the head to the 100 */
    EX_COUNTER delay_in[EX_DELAY_BUCKETS + 1]; /* sent, by the first bound
                                         * not below the delay (not
                                         * cumulative); the last: over 10 s */
} ex_continue_counts;

/* Lives in shared memory: only expect_counters.c touches it, atomically.
 * It outlives restarts: change it, and bump the key in
 * mod_expect_counters.c.  Every field before unjudged_told is a counter,
 * and ex_counters_snapshot() reads them all as such. */
typedef struct {
    EX_COUNTER requests;                /* judged requests with Expect */
    EX_COUNTER met;
    EX_COUNTER rejected;
    EX_COUNTER ignored;
    EX_COUNTER continue_100;            /* with a 100-continue member */
    EX_COUNTER malformed;
    EX_COUNTER would_reject;            /* members (or malformed fields)
                                         * lenient dropped: strict would
                                         * have refused them */
    EX_COUNTER other_names;             /* members not in names[] */
    EX_COUNTER unjudged;                /* requests left to httpd's core */
    ex_continue_counts by_proto[EX_CONT_PROTOS]; /* what became of a met
                                              * 100-continue */
    volatile apr_uint32_t unjudged_told; /* 1 once
                                          * ex_counters_first_unjudged()
                                          * has said 1 */
    volatile apr_uint32_t lock;         /* where 64-bit atomics are not
                                         * lock-free: odd while a process
                                         * holds the counters
                                         * (expect_counters.c) */
    ex_name_slot names[EX_NAMES_MAX];
} ex_counters;

/** The offset in ex_counters of the requests counted with the outcome. */
apr_size_t ex_outcome_offset(ex_outcome outcome);

/** Zero the counters (before any other process or thread can see them). */
void ex_counters_init(ex_counters *c);

/** How this build makes the counters atomic: "builtin" (the compiler's
 * lock-free 64-bit atomics) or "locked" (a lock in the shared memory). */
const char *ex_counters_atomics(void);

/** Give the names (const char *, repeats allowed, any case) slots, as the
 * parent does after reading its configuration, while other processes may
 * be counting: a name that has a slot keeps it and its count, the slot of
 * a name not among names is freed, the others take free slots, lowest
 * first, from zero.  Returns the names left without a slot, in lower case,
 * from p: the too long first, then those that found no free slot. */
apr_array_header_t *ex_counters_assign(ex_counters *c, apr_pool_t *p,
                                       const apr_array_header_t *names);

/** Count one judged request: its field and the decision on it. */
void ex_count(ex_counters *c, const ex_field *field, const ex_decision *d);

/** Move a request counted with the outcome before to after, the worst of
 * its scopes once one more judged it (an internal redirect), and count
 * dropped (what ex_chain_add() returned) as ExpectWouldReject; members are
 * not counted again. */
void ex_count_again(ex_counters *c, ex_outcome before, ex_outcome after,
                    apr_uint64_t dropped);

/** Count one member of that name: in its slot if it has one, else as
 * "other"; reads the slots only (no lock, allocation or CAS on them). */
void ex_count_name(ex_counters *c, const char *name, apr_size_t len);

/** Copy slot i's name (EX_NAME_SIZE bytes) and count and return 1 when it
 * holds a name; 0 for a free slot, or one the parent writes for too long. */
int ex_counted_name(ex_counters *c, int i, char *name, apr_uint64_t *count);

/** Count a request whose Expect field httpd's core judged, not mod_expect. */
void ex_count_unjudged(ex_counters *c);

/** 1 for the first call on these counters from any process or thread, 0
 * for every later one (until they are made again): one warning a server. */
int ex_counters_first_unjudged(ex_counters *c);

/** Count what became of a 100-continue over HTTP/1.x (h2 0) or HTTP/2
 * (h2 1), with its delay when it is EX_CONT_SENT (EX_CONT_NONE: nothing). */
void ex_count_continue(ex_counters *c, int h2, ex_cont_outcome outcome,
                       apr_uint64_t delay_us);

/* One row per outcome of a met 100-continue, in ex_cont_outcome's order
 * from EX_CONT_SENT: every name each rendering gives it, and its counter. */
typedef struct {
    const char *name;        /* EXPECT_CONTINUE's value */
    const char *label;       /* the exposition's outcome label */
    const char *key;         /* mod_status's ?auto line */
    const char *text;        /* mod_status's HTML row */
    apr_size_t offset;       /* of its counter in ex_continue_counts */
} ex_cont_field;

extern const ex_cont_field ex_cont_fields[EX_CONT_OUTCOMES];

/** The outcome's row in ex_cont_fields, or NULL for EX_CONT_NONE. */
const ex_cont_field *ex_cont_field_of(ex_cont_outcome outcome);

/* The upper bounds of the delay buckets, in microseconds, ascending. */
extern const apr_uint64_t ex_delay_bounds_us[EX_DELAY_BUCKETS];

/** The bucket of ex_continue_counts.delay_in a delay counts in. */
int ex_delay_bucket(apr_uint64_t delay_us);

/* The counters as read at one moment, each with one atomic read (they are
 * not read all at once: a request counted meanwhile may be in some and not
 * yet in others), and the names that have a slot, in slot order.  Both
 * mod_status's lines and the metrics handler render one of these. */
typedef struct {
    ex_counters counts;      /* a private copy: its names[] are unused */
    int nnames;
    struct {
        char name[EX_NAME_SIZE];
        apr_uint64_t count;
    } names[EX_NAMES_MAX];
} ex_snapshot;

/** Read the counters into s. */
void ex_counters_snapshot(ex_counters *c, ex_snapshot *s);

/** The counter at offset in a snapshot's copy (never the shared memory,
 * which only expect_counters.c reads, atomically). */
static APR_INLINE apr_uint64_t ex_counter_at(const void *copy,
                                             apr_size_t offset)
{
    return *(const apr_uint64_t *)(const void *)((const char *)copy + offset);
}

#endif /* EXPECT_COUNTERS_H */
