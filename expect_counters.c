/* Count what mod_expect decided, for mod_status and the metrics handler.
 *
 * The counters live in memory shared by every child process and thread, so
 * only atomic operations touch them, and where the machine has lock-free
 * 64-bit atomics the request path takes no lock.
 *
 * Per-name counts go to the names the server configuration lists.  Only
 * the parent process writes the table of names (ex_counters_assign, from
 * post_config), at startup and at each restart; a request only reads it.
 * But during a graceful restart the old generation of children goes on
 * counting while the parent writes, so each slot has a sequence number,
 * odd while the parent writes the slot.  A reader that finds a name counts
 * into its slot only if the number was even before it read the name and
 * has not changed after: it never counts on the strength of a name half
 * written.  A slot whose name stays configured is never written, so its
 * count stays exact through restarts.
 *
 * One race is left, for slots that do change: a reader that has checked
 * the slot of a name the new configuration drops, and is preempted just
 * before its increment, may add that one member to the slot after the
 * parent has reset it.  It takes a restart that drops a name, with a
 * member of that name being counted at that very instant.
 */
#include <stddef.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "expect_counters.h"

/* The atomics are the compiler's (GCC 4.7 on, clang), not APR's: APR's
 * promise nothing across processes (its generic 64-bit ones are mutexes
 * of one process), and these counters are shared by processes.  32-bit
 * ones are lock-free on every architecture Debian builds.  64-bit ones are
 * on most (x86-64, i386, arm64, armhf, s390x, ppc64el, riscv64); where
 * they are not (armel, 32-bit MIPS) the builtins would call libatomic,
 * whose locks are a process's own: there every 64-bit access takes the
 * counters' own lock instead, in the shared memory (lock()).  EX_ATOMIC_LOCK
 * takes that lock on any build, for the unit tests (make unit builds the
 * suite both ways). */
#if !defined(__GCC_ATOMIC_INT_LOCK_FREE) || __GCC_ATOMIC_INT_LOCK_FREE != 2
#error "mod_expect needs lock-free 32-bit atomics (GCC or clang builtins)"
#endif
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) \
    && __GCC_ATOMIC_LLONG_LOCK_FREE == 2 && !defined(EX_ATOMIC_LOCK)
#define LOCKED 0
#else
#define LOCKED 1
#endif

/* The layout every atomic needs, checked where it is built. */
_Static_assert(offsetof(ex_counters, names) % 8 == 0,
               "the name slots are 8-byte aligned");
_Static_assert(sizeof(ex_name_slot) % 8 == 0,
               "every name slot's count is 8-byte aligned");
_Static_assert(offsetof(ex_counters, unjudged_told) % 8 == 0
               && offsetof(ex_counters, by_proto) % 8 == 0
               && sizeof(ex_continue_counts) % 8 == 0,
               "the counters before unjudged_told are an array of them");
_Static_assert(_Alignof(ex_counters) >= 8,
               "the counters want 8-byte alignment");

/* The orders a sequence lock needs: a reader's reads of the name stay
 * between its two reads of the number; the writer's odd number is seen
 * before any byte of the new name. */
#define READ_FENCE()  __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define WRITE_FENCE() __atomic_thread_fence(__ATOMIC_RELEASE)

/* How often ex_counted_name() looks again at a slot being written. */
#define READ_TRIES 1000

/* How many times a waiter tries the lock between two looks at the clock. */
#define LOCK_TRIES 1024

static apr_uint32_t load32(volatile apr_uint32_t *m)
{
    return __atomic_load_n(m, __ATOMIC_SEQ_CST);
}

static void store32(volatile apr_uint32_t *m, apr_uint32_t v)
{
    __atomic_store_n(m, v, __ATOMIC_SEQ_CST);
}

#if LOCKED
/* The counters' lock, one word: even while free, odd while held, and each
 * hold a value of its own (taking it adds 1, giving it back 1 more).  A
 * process that dies holding it (killed between two instructions of an
 * add) would stop every other for good.  So a waiter that sees the same
 * hold for TAKEOVER takes it over, and the late give-back of a holder that
 * was only slow finds another hold and frees nothing; at worst that
 * holder's one add is lost.  Whether the holder lives cannot be asked
 * reliably (a zombie, a reused pid), the time it has held can. */
#define TAKEOVER apr_time_from_sec(2)

static apr_uint32_t lock(ex_counters *c)
{
    apr_uint32_t seen = 0;
    apr_time_t since = 0;
    unsigned int tries = 0;

    for (;;) {
        apr_uint32_t w = __atomic_load_n(&c->lock, __ATOMIC_RELAXED);

        if (!(w & 1)) {
            if (__atomic_compare_exchange_n(&c->lock, &w, w + 1, 0,
                                            __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
                return w + 1;
            }
            continue;
        }
        if (++tries % LOCK_TRIES == 0) {
            apr_time_t now = apr_time_now();

            if (w != seen) {
                seen = w;
                since = now;
            }
            else if (now - since >= TAKEOVER
                     && __atomic_compare_exchange_n(&c->lock, &w, w + 2, 0,
                                                    __ATOMIC_ACQUIRE,
                                                    __ATOMIC_RELAXED)) {
                return w + 2;
            }
        }
        apr_thread_yield();
    }
}

static void unlock(ex_counters *c, apr_uint32_t hold)
{
    __atomic_compare_exchange_n(&c->lock, &hold, hold + 1, 0,
                                __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static void add64(ex_counters *c, volatile apr_uint64_t *m, apr_uint64_t v)
{
    apr_uint32_t hold = lock(c);

    *m += v;
    unlock(c, hold);
}

static apr_uint64_t load64(ex_counters *c, volatile apr_uint64_t *m)
{
    apr_uint32_t hold = lock(c);
    apr_uint64_t v = *m;

    unlock(c, hold);
    return v;
}

static void store64(ex_counters *c, volatile apr_uint64_t *m, apr_uint64_t v)
{
    apr_uint32_t hold = lock(c);

    *m = v;
    unlock(c, hold);
}
#else
static APR_INLINE void add64(ex_counters *c, volatile apr_uint64_t *m,
                             apr_uint64_t v)
{
    (void)c;
    __atomic_fetch_add(m, v, __ATOMIC_SEQ_CST);
}

static APR_INLINE apr_uint64_t load64(ex_counters *c,
                                      volatile apr_uint64_t *m)
{
    (void)c;
    return __atomic_load_n(m, __ATOMIC_SEQ_CST);
}

static APR_INLINE void store64(ex_counters *c, volatile apr_uint64_t *m,
                               apr_uint64_t v)
{
    (void)c;
    __atomic_store_n(m, v, __ATOMIC_SEQ_CST);
}
#endif

const char *ex_counters_atomics(void)
{
    return LOCKED ? "locked" : "builtin";
}

/* The counter at offset in a struct of counters. */
static volatile apr_uint64_t *counter(void *base, apr_size_t offset)
{
    return (volatile apr_uint64_t *)(void *)((char *)base + offset);
}

void ex_counters_init(ex_counters *c)
{
    memset((void *)c, 0, sizeof(*c));
}

static char lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch + ('a' - 'A') : ch;
}

/* Does the slot hold the name (len < EX_NAME_SIZE), in lower case? */
static int same_name(const ex_name_slot *slot, const char *name,
                     apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (slot->name[i] != lower(name[i])) {
            return 0;
        }
    }
    return slot->name[len] == '\0';
}

void ex_count_name(ex_counters *c, const char *name, apr_size_t len)
{
    int i;

    if (len > 0 && len < EX_NAME_SIZE) {
        char first = lower(name[0]);

        for (i = 0; i < EX_NAMES_MAX; i++) {
            ex_name_slot *slot = &c->names[i];
            apr_uint32_t seq;
            int match;

            /* Most slots differ in the first byte, and a free one has "".
             * A slot being written may be passed over here: it holds no
             * name that stays configured. */
            if (slot->name[0] != first) {
                continue;
            }
            seq = load32(&slot->seq);
            if (seq & 1) {
                continue;
            }
            READ_FENCE();
            match = same_name(slot, name, len);
            READ_FENCE();
            if (match && load32(&slot->seq) == seq) {
                add64(c, &slot->count, 1);
                return;
            }
        }
    }
    add64(c, &c->other_names, 1);
}

int ex_counted_name(ex_counters *c, int i, char *name, apr_uint64_t *count)
{
    ex_name_slot *slot = &c->names[i];
    int tries;

    for (tries = 0; tries < READ_TRIES; tries++) {
        apr_uint32_t seq = load32(&slot->seq);

        if (!(seq & 1)) {
            READ_FENCE();
            memcpy(name, slot->name, EX_NAME_SIZE);
            *count = load64(c, &slot->count);
            READ_FENCE();
            if (load32(&slot->seq) == seq) {
                name[EX_NAME_SIZE - 1] = '\0';
                return name[0] != '\0';
            }
        }
        apr_thread_yield();
    }
    return 0;
}

/* The parent's write of a slot: name in lower case ("" frees it), count
 * from zero. */
static void write_slot(ex_counters *c, ex_name_slot *slot, const char *name)
{
    apr_uint32_t seq = load32(&slot->seq) | 1;
    apr_size_t i;

    store32(&slot->seq, seq);
    WRITE_FENCE();
    for (i = 0; name[i] != '\0'; i++) {
        slot->name[i] = lower(name[i]);
    }
    memset(slot->name + i, 0, EX_NAME_SIZE - i);
    store64(c, &slot->count, 0);
    store32(&slot->seq, seq + 1);
}

apr_array_header_t *ex_counters_assign(ex_counters *c, apr_pool_t *p,
                                       const apr_array_header_t *names)
{
    /* What each name is to this call, in a hash of the names. */
    static const char wanted[] = "wanted", kept[] = "kept", unfit[] = "unfit";
    const char *const *list = (const char *const *)names->elts;
    apr_array_header_t *left = apr_array_make(p, 4, sizeof(const char *));
    apr_array_header_t *wanted_names = apr_array_make(p, names->nelts,
                                               sizeof(const char *));
    apr_hash_t *seen = apr_hash_make(p);
    int i, k, free_slot;

    for (i = 0; i < names->nelts; i++) {
        char *name = apr_pstrdup(p, list[i]);
        apr_size_t len;

        for (len = 0; name[len] != '\0'; len++) {
            name[len] = lower(name[len]);
        }
        if (len == 0 || apr_hash_get(seen, name, len)) {
            continue;
        }
        if (len >= EX_NAME_SIZE) {
            apr_hash_set(seen, name, len, unfit);
            *(const char **)apr_array_push(left) = name;
            continue;
        }
        apr_hash_set(seen, name, len, wanted);
        *(const char **)apr_array_push(wanted_names) = name;
    }

    /* A slot whose name is still wanted keeps it, and its count.  The
     * parent is the only writer: it reads the slots as they are. */
    for (i = 0; i < EX_NAMES_MAX; i++) {
        ex_name_slot *slot = &c->names[i];
        apr_size_t len = strnlen(slot->name, EX_NAME_SIZE);

        if (len == 0) {
            continue;
        }
        if (len < EX_NAME_SIZE
            && apr_hash_get(seen, slot->name, len) == wanted) {
            apr_hash_set(seen, apr_pstrmemdup(p, slot->name, len), len,
                         kept);
        }
        else {
            write_slot(c, slot, "");
        }
    }

    /* The new names take the free slots. */
    free_slot = 0;
    for (k = 0; k < wanted_names->nelts; k++) {
        const char *name = ((const char **)wanted_names->elts)[k];

        if (apr_hash_get(seen, name, APR_HASH_KEY_STRING) == kept) {
            continue;
        }
        while (free_slot < EX_NAMES_MAX && c->names[free_slot].name[0]) {
            free_slot++;
        }
        if (free_slot == EX_NAMES_MAX) {
            *(const char **)apr_array_push(left) = name;
            continue;
        }
        write_slot(c, &c->names[free_slot], name);
    }
    return left;
}

void ex_count_unjudged(ex_counters *c)
{
    add64(c, &c->unjudged, 1);
}

int ex_counters_first_unjudged(ex_counters *c)
{
    apr_uint32_t never = 0;

    return __atomic_compare_exchange_n(&c->unjudged_told, &never, 1, 0,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

apr_size_t ex_outcome_offset(ex_outcome outcome)
{
    return outcome == EX_MET ? offsetof(ex_counters, met)
           : outcome == EX_REJECTED ? offsetof(ex_counters, rejected)
           : offsetof(ex_counters, ignored);
}

static volatile apr_uint64_t *outcome_counter(ex_counters *c,
                                              ex_outcome outcome)
{
    return counter(c, ex_outcome_offset(outcome));
}

/* What lenient dropped that strict would have refused. */
static void count_dropped(ex_counters *c, const ex_decision *d)
{
    if (d->outcome == EX_IGNORED) {
        add64(c, &c->would_reject,
              d->malformed ? 1 : (apr_uint64_t)d->refused->nelts);
    }
}

void ex_count_again(ex_counters *c, ex_outcome before, ex_outcome after,
                    apr_uint64_t dropped)
{
    if (after != before) {
        add64(c, outcome_counter(c, after), 1);
        add64(c, outcome_counter(c, before), (apr_uint64_t)-1);
    }
    if (dropped) {
        add64(c, &c->would_reject, dropped);
    }
}

void ex_count(ex_counters *c, const ex_field *field, const ex_decision *d)
{
    const ex_member *members = (const ex_member *)field->members->elts;
    int i;

    add64(c, &c->requests, 1);
    add64(c, outcome_counter(c, d->outcome), 1);
    count_dropped(c, d);
    if (d->malformed) {
        /* Nothing of it can be trusted, names included. */
        add64(c, &c->malformed, 1);
        return;
    }
    for (i = 0; i < field->members->nelts; i++) {
        ex_count_name(c, members[i].name, members[i].name_len);
    }
    if (ex_asks_continue(field)) {
        add64(c, &c->continue_100, 1);
    }
}

const ex_cont_field ex_cont_fields[EX_CONT_OUTCOMES] = {
    { "sent", "sent", "ExpectContinueSent", "100-continue: the 100 went out",
      offsetof(ex_continue_counts, sent) },
    { "skipped", "skipped", "ExpectContinueSkipped", "100-continue: a final "
      "status went out first", offsetof(ex_continue_counts, skipped) },
    { "early-body", "early_body", "ExpectContinueEarlyBody", "100-continue: "
      "the body came before any 100",
      offsetof(ex_continue_counts, early_body) },
    { "abandoned", "abandoned", "ExpectContinueAbandoned", "100-continue: "
      "the client went away first", offsetof(ex_continue_counts, abandoned) },
    { "unknown", "unknown", "ExpectContinueUnknown", "100-continue: httpd "
      "cannot tell which of two outcomes",
      offsetof(ex_continue_counts, unknown) },
};

const ex_cont_field *ex_cont_field_of(ex_cont_outcome outcome)
{
    if (outcome < EX_CONT_SENT || outcome > EX_CONT_UNKNOWN) {
        return NULL;
    }
    return &ex_cont_fields[outcome - EX_CONT_SENT];
}

void ex_count_continue(ex_counters *c, int h2, ex_cont_outcome outcome,
                       apr_uint64_t delay_us)
{
    ex_continue_counts *counts = &c->by_proto[h2 ? 1 : 0];
    const ex_cont_field *f = ex_cont_field_of(outcome);

    if (f == NULL) {
        return;                 /* nothing decided: nothing to count */
    }
    add64(c, counter(counts, f->offset), 1);
    if (outcome == EX_CONT_SENT) {
        add64(c, &counts->delay_us, delay_us);
        add64(c, &counts->delay_in[ex_delay_bucket(delay_us)], 1);
    }
}

/* 1, 2.5 and 5 in each decade: a quantile is known to within a bucket,
 * whether the wait is a loopback's or a slow handler's. */
const apr_uint64_t ex_delay_bounds_us[EX_DELAY_BUCKETS] = {
    100, 250, 500,
    1000, 2500, 5000,
    10000, 25000, 50000,
    100000, 250000, 500000,
    1000000, 2500000, 5000000,
    10000000
};

int ex_delay_bucket(apr_uint64_t delay_us)
{
    int i;

    for (i = 0; i < EX_DELAY_BUCKETS; i++) {
        if (delay_us <= ex_delay_bounds_us[i]) {
            break;
        }
    }
    return i;
}

void ex_counters_snapshot(ex_counters *c, ex_snapshot *s)
{
    apr_size_t offset;
    int slot;

    memset(s, 0, sizeof(*s));
    for (offset = 0; offset < offsetof(ex_counters, unjudged_told);
         offset += sizeof(apr_uint64_t)) {
        *counter(&s->counts, offset) = load64(c, counter(c, offset));
    }
    for (slot = 0; slot < EX_NAMES_MAX; slot++) {
        if (ex_counted_name(c, slot, s->names[s->nnames].name,
                            &s->names[s->nnames].count)) {
            s->nnames++;
        }
    }
}
