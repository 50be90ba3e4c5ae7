/* Decide what a scope does with the members of an Expect field. */
#include <string.h>

#include <apr_strings.h>

#include "expect_policy.h"

/* A set of members is one bit each of an apr_uint64_t. */
typedef char ex_members_fit_a_set[EX_MAX_MEMBERS <= 64 ? 1 : -1];

const char *ex_outcome_name(ex_outcome outcome)
{
    static const char *const names[] = { "met", "ignored", "rejected" };

    return names[outcome];
}

static int allowed(const apr_array_header_t *allow, const ex_member *m)
{
    const char **names = (const char **)allow->elts;
    int i;

    for (i = 0; i < allow->nelts; i++) {
        if (ex_member_is(m, names[i])) {
            return 1;
        }
    }
    return 0;
}

static apr_uint64_t refused_set(const ex_decision *d)
{
    const int *refused = (const int *)d->refused->elts;
    apr_uint64_t set = 0;
    int i;

    for (i = 0; i < d->refused->nelts; i++) {
        set |= (apr_uint64_t)1 << refused[i];
    }
    return set;
}

const char *ex_join(apr_pool_t *p, const ex_field *field, apr_uint64_t leave)
{
    const ex_member *members = (const ex_member *)field->members->elts;
    apr_size_t size = 1;
    char *out;
    int i;

    for (i = 0; i < field->members->nelts; i++) {
        if (!(leave & ((apr_uint64_t)1 << i))) {
            size += members[i].text_len + 2;
        }
    }
    out = apr_palloc(p, size);
    size = 0;
    for (i = 0; i < field->members->nelts; i++) {
        if (leave & ((apr_uint64_t)1 << i)) {
            continue;
        }
        if (size > 0) {
            out[size++] = ',';
            out[size++] = ' ';
        }
        memcpy(out + size, members[i].text, members[i].text_len);
        size += members[i].text_len;
    }
    out[size] = '\0';
    return size > 0 ? out : NULL;
}

/* The refused list of a decision that refuses nothing: most of them. */
static const apr_array_header_t no_refused = { NULL, sizeof(int), 0, 0,
                                               NULL };

void ex_decide(apr_pool_t *p, const ex_field *field,
               const apr_array_header_t *allow, ex_policy policy,
               int http11, ex_decision *d)
{
    const ex_member *members = (const ex_member *)field->members->elts;
    apr_array_header_t *refused = NULL;
    int i;

    d->outcome = EX_MET;
    d->malformed = field->error != NULL;
    d->refused = &no_refused;

    if (d->malformed) {
        /* Nothing of a field that does not parse can be trusted. */
        d->outcome = policy == EX_POLICY_LENIENT ? EX_IGNORED : EX_REJECTED;
        return;
    }
    for (i = 0; i < field->members->nelts; i++) {
        const ex_member *m = &members[i];

        if (!http11 && ex_member_is(m, "100-continue")) {
            /* RFC 9110 section 10.1.1: a server that receives a
             * 100-continue expectation in an HTTP/1.0 request MUST ignore
             * that expectation.  It is neither met nor refused. */
            continue;
        }
        if (!allowed(allow, m)) {
            if (refused == NULL) {
                refused = apr_array_make(p, 1, sizeof(int));
                d->refused = refused;
            }
            *(int *)apr_array_push(refused) = i;
        }
    }
    if (d->refused->nelts > 0) {
        d->outcome = policy == EX_POLICY_LENIENT ? EX_IGNORED : EX_REJECTED;
    }
}

int ex_chain_add(ex_chain *ch, const ex_decision *d)
{
    apr_uint64_t set, newly;
    int n = 0;

    if (d->outcome > ch->outcome) {
        ch->outcome = d->outcome;
    }
    if (d->outcome != EX_IGNORED) {
        return 0;
    }
    if (d->malformed) {
        n = !ch->dropped_whole;
        ch->dropped_whole = 1;
        return n;
    }
    set = refused_set(d);
    newly = set & ~ch->dropped;
    ch->dropped |= set;
    for (; newly; newly &= newly - 1) {
        n++;
    }
    return n;
}
