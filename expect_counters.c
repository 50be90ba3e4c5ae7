/* Count what mod_expect decided, for mod_status and the metrics handler.
 *
 * The counters live in memory shared by every child process and thread, so
 * only atomic operations touch them and the request path takes no lock.
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

#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "expect.h"

/* The orders a sequence lock needs, which apr_atomic cannot express: a
 * reader's reads of the name stay between its two reads of the number; the
 * writer's odd number is seen before any byte of the new name. */
#if defined(__ATOMIC_ACQUIRE)
#define READ_FENCE()  __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define WRITE_FENCE() __atomic_thread_fence(__ATOMIC_RELEASE)
#else
#define READ_FENCE()  __sync_synchronize()
#define WRITE_FENCE() __sync_synchronize()
#endif

/* How often ex_counted_name() looks again at a slot being written. */
#define READ_TRIES 1000

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

    /* A slot holds no upper case: the same bytes are a match. */
    if (memcmp(slot->name, name, len) == 0) {
        return slot->name[len] == '\0';
    }
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
            seq = apr_atomic_read32(&slot->seq);
            if (seq & 1) {
                continue;
            }
            READ_FENCE();
            match = same_name(slot, name, len);
            READ_FENCE();
            if (match && apr_atomic_read32(&slot->seq) == seq) {
                ex_atomic_inc64(&slot->count);
                return;
            }
        }
    }
    ex_atomic_inc64(&c->other_names);
}

int ex_counted_name(ex_counters *c, int i, char *name, apr_uint64_t *count)
{
    ex_name_slot *slot = &c->names[i];
    int tries;

    for (tries = 0; tries < READ_TRIES; tries++) {
        apr_uint32_t seq = apr_atomic_read32(&slot->seq);

        if (!(seq & 1)) {
            READ_FENCE();
            memcpy(name, slot->name, EX_NAME_SIZE);
            *count = ex_atomic_read64(&slot->count);
            READ_FENCE();
            if (apr_atomic_read32(&slot->seq) == seq) {
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
static void write_slot(ex_name_slot *slot, const char *name)
{
    apr_uint32_t seq = apr_atomic_read32(&slot->seq) | 1;
    apr_size_t i;

    apr_atomic_set32(&slot->seq, seq);
    WRITE_FENCE();
    for (i = 0; name[i] != '\0'; i++) {
        slot->name[i] = lower(name[i]);
    }
    memset(slot->name + i, 0, EX_NAME_SIZE - i);
    ex_atomic_set64(&slot->count, 0);
    apr_atomic_set32(&slot->seq, seq + 1);
}

apr_array_header_t *ex_counters_assign(ex_counters *c, apr_pool_t *p,
                                       const apr_array_header_t *names)
{
    /* What each name is to this call, in a hash of the names. */
    static const char wanted[] = "wanted", kept[] = "kept", unfit[] = "unfit";
    const char *const *list = (const char *const *)names->elts;
    apr_array_header_t *left = apr_array_make(p, 4, sizeof(const char *));
    apr_array_header_t *fresh = apr_array_make(p, names->nelts,
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
        *(const char **)apr_array_push(fresh) = name;
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
            write_slot(slot, "");
        }
    }

    /* The new names take the free slots. */
    free_slot = 0;
    for (k = 0; k < fresh->nelts; k++) {
        const char *name = ((const char **)fresh->elts)[k];

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
        write_slot(&c->names[free_slot], name);
    }
    return left;
}

void ex_count_unjudged(ex_counters *c)
{
    ex_atomic_inc64(&c->unjudged);
}

int ex_counters_first_unjudged(ex_counters *c)
{
    return apr_atomic_cas32(&c->unjudged_told, 1, 0) == 0;
}

static volatile apr_uint64_t *outcome_counter(ex_counters *c,
                                              ex_outcome outcome)
{
    return outcome == EX_MET ? &c->met
           : outcome == EX_REJECTED ? &c->rejected
           : &c->ignored;
}

/* What lenient dropped that strict would have refused. */
static void count_dropped(ex_counters *c, const ex_decision *d)
{
    if (d->outcome == EX_IGNORED) {
        ex_atomic_add64(&c->would_reject,
                         d->malformed ? 1 : (apr_uint64_t)d->refused->nelts);
    }
}

void ex_count_again(ex_counters *c, ex_outcome was, ex_outcome now,
                    apr_uint64_t dropped)
{
    if (now != was) {
        ex_atomic_inc64(outcome_counter(c, now));
        ex_atomic_dec64(outcome_counter(c, was));
    }
    if (dropped) {
        ex_atomic_add64(&c->would_reject, dropped);
    }
}

void ex_count(ex_counters *c, const ex_field *field, const ex_decision *d)
{
    const ex_member *members = (const ex_member *)field->members->elts;
    int i;

    ex_atomic_inc64(&c->requests);
    ex_atomic_inc64(outcome_counter(c, d->outcome));
    count_dropped(c, d);
    if (d->malformed) {
        /* Nothing of it can be trusted, names included. */
        ex_atomic_inc64(&c->malformed);
        return;
    }
    for (i = 0; i < field->members->nelts; i++) {
        ex_count_name(c, members[i].name, members[i].name_len);
    }
    if (ex_asks_continue(field)) {
        ex_atomic_inc64(&c->continue_100);
    }
}

void ex_count_continue(ex_counters *c, int h2, ex_cont_outcome outcome,
                       apr_uint64_t delay_us)
{
    ex_continue_counts *k = &c->cont[h2 ? 1 : 0];

    switch (outcome) {
    case EX_CONT_SENT:
        ex_atomic_inc64(&k->sent);
        ex_atomic_add64(&k->delay_us, delay_us);
        ex_atomic_inc64(&k->delay_in[ex_delay_bucket(delay_us)]);
        break;
    case EX_CONT_SKIPPED:
        ex_atomic_inc64(&k->skipped);
        break;
    case EX_CONT_EARLY:
        ex_atomic_inc64(&k->early_body);
        break;
    case EX_CONT_ABANDONED:
        ex_atomic_inc64(&k->abandoned);
        break;
    case EX_CONT_UNKNOWN:
        ex_atomic_inc64(&k->unknown);
        break;
    default:
        break;
    }
}

const char *ex_cont_name(ex_cont_outcome outcome)
{
    static const char *const names[] = {
        NULL, "sent", "skipped", "early-body", "abandoned", "unknown"
    };

    return (unsigned)outcome < sizeof(names) / sizeof(names[0])
           ? names[outcome] : NULL;
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
    volatile apr_uint64_t *from = (volatile apr_uint64_t *)(void *)c;
    apr_uint64_t *to = (apr_uint64_t *)(void *)&s->counts;
    apr_size_t i, n = offsetof(ex_counters, unjudged_told)
                      / sizeof(apr_uint64_t);
    int k;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < n; i++) {
        to[i] = ex_atomic_read64(&from[i]);
    }
    for (k = 0; k < EX_NAMES_MAX; k++) {
        if (ex_counted_name(c, k, s->names[s->nnames].name,
                            &s->names[s->nnames].count)) {
            s->nnames++;
        }
    }
}
