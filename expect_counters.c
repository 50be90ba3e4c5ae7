/* Count what mod_expect decided, for mod_status.
 *
 * The counters live in memory shared by every child process and thread, so
 * only atomic operations touch them and the request path takes no lock.
 *
 * Per-name counts need a table that processes fill as names arrive.  A slot
 * goes free -> writing -> ready, the first step by compare-and-swap, and
 * slots are taken strictly in order: whoever wants to add a name walks the
 * table from the start, waits (briefly) for a slot being written to become
 * ready and compares with it, and only then moves on.  So two processes
 * adding the same name meet at the same slot, and a name is never in two
 * slots.  A writer that dies between the two steps leaves a slot that
 * never becomes ready; the others give up waiting after a while and count
 * the name as "other", rather than hang.
 */
#include <string.h>

#include <apr_atomic.h>
#include <apr_thread_proc.h>

#include "expect.h"

enum {
    SLOT_FREE = 0,
    SLOT_WRITING,
    SLOT_READY
};

/* How long to wait for a slot being written: each try yields the CPU. */
#define WAIT_TRIES 10000

void ex_counters_init(ex_counters *c)
{
    memset((void *)c, 0, sizeof(*c));
}

static int same_name(const ex_name_slot *slot, const char *name,
                     apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char ch = name[i];

        if (ch >= 'A' && ch <= 'Z') {
            ch += 'a' - 'A';
        }
        if (slot->name[i] != ch) {
            return 0;
        }
    }
    return slot->name[len] == '\0';
}

void ex_count_name(ex_counters *c, const char *name, apr_size_t len)
{
    int i;

    if (len >= EX_NAME_SIZE) {
        apr_atomic_inc64(&c->other_names);
        return;
    }
    for (i = 0; i < EX_NAMES_MAX; i++) {
        ex_name_slot *slot = &c->names[i];
        apr_uint32_t state = apr_atomic_read32(&slot->state);
        int tries = 0;

        if (state == SLOT_FREE) {
            state = apr_atomic_cas32(&slot->state, SLOT_WRITING, SLOT_FREE);
            if (state == SLOT_FREE) {
                apr_size_t k;

                for (k = 0; k < len; k++) {
                    char ch = name[k];

                    slot->name[k] = (ch >= 'A' && ch <= 'Z')
                                    ? ch + ('a' - 'A') : ch;
                }
                slot->name[len] = '\0';
                apr_atomic_inc64(&slot->count);
                /* A full barrier: the name is written before "ready". */
                apr_atomic_set32(&slot->state, SLOT_READY);
                return;
            }
        }
        while (state == SLOT_WRITING) {
            if (++tries == WAIT_TRIES) {
                apr_atomic_inc64(&c->other_names);
                return;
            }
            apr_thread_yield();
            state = apr_atomic_read32(&slot->state);
        }
        if (same_name(slot, name, len)) {
            apr_atomic_inc64(&slot->count);
            return;
        }
    }
    apr_atomic_inc64(&c->other_names);
}

const char *ex_counted_name(ex_counters *c, int i)
{
    if (apr_atomic_read32(&c->names[i].state) != SLOT_READY) {
        return NULL;
    }
    return c->names[i].name;
}

void ex_count(ex_counters *c, const ex_field *field, const ex_decision *d)
{
    const ex_member *members = (const ex_member *)field->members->elts;
    int i;

    apr_atomic_inc64(&c->requests);
    apr_atomic_inc64(d->outcome == EX_MET ? &c->met
                     : d->outcome == EX_REJECTED ? &c->rejected
                     : &c->ignored);
    if (d->malformed) {
        /* Nothing of it can be trusted, names included. */
        apr_atomic_inc64(&c->malformed);
        if (d->outcome == EX_IGNORED) {
            apr_atomic_inc64(&c->would_reject);
        }
        return;
    }
    if (d->outcome == EX_IGNORED) {
        apr_atomic_add64(&c->would_reject, (apr_uint64_t)d->refused->nelts);
    }
    for (i = 0; i < field->members->nelts; i++) {
        ex_count_name(c, members[i].name, members[i].name_len);
    }
    if (ex_asks_continue(field)) {
        apr_atomic_inc64(&c->continue_100);
    }
}
