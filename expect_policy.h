/* expect_policy.c: what a scope does with the members of a parsed Expect
 * field (ExpectAllow, ExpectPolicy), and what the scopes an internally
 * redirected request passes decide together. */
#ifndef EXPECT_POLICY_H
#define EXPECT_POLICY_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "expect_field.h"

typedef enum {
    EX_POLICY_STRICT = 0,
    EX_POLICY_LENIENT
} ex_policy;

/* Ordered from the mildest to the strictest. */
typedef enum {
    EX_MET = 0,              /* every member can be met here */
    EX_IGNORED,              /* lenient: members were dropped, the rest met */
    EX_REJECTED              /* strict: answer 417 */
} ex_outcome;

typedef struct {
    ex_outcome outcome;
    int malformed;           /* the field did not parse */
    const apr_array_header_t *refused; /* int indexes into field->members
                                        * of the members refused (strict)
                                        * or dropped (lenient); an empty
                                        * list is shared, never added to */
} ex_decision;

/** The outcome's name, as EXPECT_STATUS and the metrics give it. */
const char *ex_outcome_name(ex_outcome outcome);

/** Decide what a scope that meets the lower-case names in allow (const
 * char *; empty: none) does with a parsed field, under policy, for a
 * request of HTTP/1.1 or later (http11) or not (a 100-continue member of
 * HTTP/1.0 is ignored: RFC 9110 section 10.1.1); refused from p. */
void ex_decide(apr_pool_t *p, const ex_field *field,
               const apr_array_header_t *allow, ex_policy policy,
               int http11, ex_decision *d);

/** The members of a field that parses, but those in leave (bit i: member
 * i), joined with ", " as a list again, from p; NULL when none is left. */
const char *ex_join(apr_pool_t *p, const ex_field *field, apr_uint64_t leave);

/* What the scopes an internally redirected request passes decide together
 * (docs/directives.md, "Internal redirects").  Each judges the same field,
 * and the strictest answer wins, as with access control: the worst
 * outcome, and a member that any scope dropped stays dropped.  Zeroed
 * before the first scope. */
typedef struct {
    ex_outcome outcome;      /* the worst decision so far */
    apr_uint64_t dropped;    /* bit i: a lenient scope dropped member i */
    int dropped_whole;       /* a lenient scope dropped the field whole: it
                              * is malformed */
} ex_chain;

/** Add one scope's decision to the chain; returns what it dropped that no
 * scope before it had (its members, or 1 for a malformed field dropped
 * whole), each counted once as ExpectWouldReject. */
int ex_chain_add(ex_chain *ch, const ex_decision *d);

#endif /* EXPECT_POLICY_H */
