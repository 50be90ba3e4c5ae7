/* Tests of expect_policy.c: what a scope does with a parsed Expect field. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "expect_field.h"
#include "expect_policy.h"
#include "unit.h"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
}

/* An allow list of the names given, ended by NULL; none is "none". */
static const apr_array_header_t *allow_of(const char *name, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 2, sizeof(const char *));
    va_list ap;

    va_start(ap, name);
    while (name != NULL) {
        *(const char **)apr_array_push(a) = name;
        name = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

#define ALLOW_DEFAULT  allow_of("100-continue", NULL)
#define ALLOW_NONE     allow_of(NULL)

#define HTTP10 0
#define HTTP11 1

/* After decide(): what the application sees of a field that lenient
 * rewrote, as mod_expect_judge.c makes it (ex_chain_add(), then ex_join()
 * of what no scope dropped), or NULL when the field was not rewritten or
 * nothing is left of it; and whether the request still asks for
 * 100-continue there, on HTTP/1.1 or later. */
static const char *kept;
static int asks_100;

/* Parse value and decide.  Returns whether the value parsed. */
static int decide(const char *value, const apr_array_header_t *allow,
                  ex_policy policy, int http11, ex_decision *d)
{
    ex_field f, seen;
    ex_chain ch = { EX_MET, 0, 0 };
    int parsed = ex_parse(pool, value, strlen(value), &f);

    memset(d, 0xa5, sizeof(*d));        /* ex_decide must set every field */
    ex_decide(pool, &f, allow, policy, http11, d);
    ck_assert_ptr_nonnull(d->refused);
    ex_chain_add(&ch, d);
    ck_assert_int_eq(ch.outcome, d->outcome);
    kept = NULL;
    asks_100 = 0;
    if (d->outcome == EX_IGNORED && !ch.dropped_whole) {
        kept = ex_join(pool, &f, ch.dropped);
    }
    if (d->outcome == EX_MET) {
        asks_100 = http11 && ex_asks_continue(&f);
    }
    else if (kept) {
        ck_assert_int_eq(ex_parse(pool, kept, strlen(kept), &seen), 1);
        asks_100 = http11 && ex_asks_continue(&seen);
    }
    return parsed;
}

/* d->refused holds exactly the n indexes given. */
static void check_refused(const ex_decision *d, int n, ...)
{
    const int *refused = (const int *)d->refused->elts;
    va_list ap;
    int i;

    ck_assert_int_eq(d->refused->nelts, n);
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        int want = va_arg(ap, int);

        ck_assert_msg(refused[i] == want, "refused[%d] is %d, not %d",
                      i, refused[i], want);
    }
    va_end(ap);
}

/* ---- met ------------------------------------------------------------ */

START_TEST(default_allow_meets_100_continue_on_http11)
{
    ex_decision d;

    ck_assert(decide("100-continue", ALLOW_DEFAULT, EX_POLICY_STRICT,
                     HTTP11, &d));
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(d.malformed, 0);
    ck_assert_int_eq(asks_100, 1);
    check_refused(&d, 0);
    ck_assert_ptr_null(kept);
}
END_TEST

START_TEST(default_allow_meets_100_continue_in_any_case)
{
    ex_decision d;

    decide("100-Continue", ALLOW_DEFAULT, EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 1);
}
END_TEST

START_TEST(met_100_continue_on_http10_asks_for_no_100)
{
    ex_decision d;

    decide("100-continue", ALLOW_DEFAULT, EX_POLICY_STRICT, HTTP10, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 0);
}
END_TEST

START_TEST(http10_100_continue_is_ignored_even_with_allow_none)
{
    ex_decision d;

    decide("100-continue", ALLOW_NONE, EX_POLICY_STRICT, HTTP10, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 0);

    decide("100-continue", ALLOW_NONE, EX_POLICY_LENIENT, HTTP10, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 0);
    ck_assert_ptr_null(kept);
}
END_TEST

START_TEST(http10_other_members_are_still_judged)
{
    ex_decision d;

    decide("100-continue, x-foo", ALLOW_NONE, EX_POLICY_STRICT, HTTP10, &d);
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    check_refused(&d, 1, 1);

    decide("100-continue, x-foo", ALLOW_NONE, EX_POLICY_LENIENT, HTTP10,
           &d);
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    check_refused(&d, 1, 1);
    ck_assert_int_eq(asks_100, 0);
    ck_assert_pstr_eq(kept, "100-continue");

    decide("x-foo, 100-continue", allow_of("x-foo", NULL), EX_POLICY_STRICT,
           HTTP10, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 0);
}
END_TEST

START_TEST(empty_field_is_met)
{
    ex_decision d;

    ck_assert(decide("", ALLOW_NONE, EX_POLICY_STRICT, HTTP11, &d));
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(d.malformed, 0);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 0);
    ck_assert_ptr_null(kept);

    ck_assert(decide(" ,, ", ALLOW_NONE, EX_POLICY_LENIENT, HTTP11, &d));
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_ptr_null(kept);
}
END_TEST

START_TEST(allowed_names_match_in_any_case)
{
    ex_decision d;

    decide("X-Foo", allow_of("x-foo", NULL), EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 0);
}
END_TEST

START_TEST(value_and_parameters_do_not_affect_the_name_match)
{
    ex_decision d;

    decide("x-foo=1;a=b", allow_of("x-foo", NULL), EX_POLICY_STRICT, HTTP11,
           &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    check_refused(&d, 0);

    decide("100-continue=1", ALLOW_DEFAULT, EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 1);
}
END_TEST

START_TEST(name_must_match_whole)
{
    ex_decision d;

    decide("x-foobar, x-fo", allow_of("x-foo", NULL), EX_POLICY_STRICT,
           HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    check_refused(&d, 2, 0, 1);
}
END_TEST

START_TEST(any_allowed_name_meets)
{
    ex_decision d;

    decide("x-b, 100-continue, x-a", allow_of("x-a", "100-continue", "x-b",
                                              NULL),
           EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 1);
    check_refused(&d, 0);
}
END_TEST

/* ---- strict --------------------------------------------------------- */

START_TEST(strict_rejects_a_refused_member)
{
    ex_decision d;

    decide("x-foo", ALLOW_DEFAULT, EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    ck_assert_int_eq(d.malformed, 0);
    check_refused(&d, 1, 0);
}
END_TEST

START_TEST(strict_rejects_100_continue_with_allow_none_on_http11)
{
    ex_decision d;

    decide("100-continue", ALLOW_NONE, EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 1, 0);
}
END_TEST

START_TEST(strict_lists_every_refused_member)
{
    ex_decision d;

    decide("x-a, 100-continue, x-b=1, 100-continue, x-c", ALLOW_DEFAULT,
           EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    check_refused(&d, 3, 0, 2, 4);
}
END_TEST

START_TEST(strict_rejects_when_one_member_of_many_is_refused)
{
    ex_decision d;

    decide("100-continue, x-a", ALLOW_DEFAULT, EX_POLICY_STRICT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    check_refused(&d, 1, 1);
}
END_TEST

/* ---- lenient -------------------------------------------------------- */

START_TEST(lenient_drops_refused_and_keeps_the_rest_in_order)
{
    ex_decision d;

    decide("x-a, 100-continue , x-b=\"q, r\";p=1,, x-c,x-b",
           allow_of("100-continue", "x-b", NULL), EX_POLICY_LENIENT, HTTP11,
           &d);
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    ck_assert_int_eq(d.malformed, 0);
    ck_assert_int_eq(asks_100, 1);
    check_refused(&d, 2, 0, 3);
    ck_assert_pstr_eq(kept, "100-continue, x-b=\"q, r\";p=1, x-b");
}
END_TEST

START_TEST(lenient_asks_100_follows_whether_100_continue_is_kept)
{
    ex_decision d;

    decide("100-continue, x-b", allow_of("x-b", NULL), EX_POLICY_LENIENT,
           HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 1, 0);
    ck_assert_pstr_eq(kept, "x-b");

    decide("x-b, 100-continue", ALLOW_DEFAULT, EX_POLICY_LENIENT, HTTP11,
           &d);
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    ck_assert_int_eq(asks_100, 1);
    check_refused(&d, 1, 0);
    ck_assert_pstr_eq(kept, "100-continue");
}
END_TEST

START_TEST(lenient_keeps_nothing_when_every_member_is_dropped)
{
    ex_decision d;

    decide("x-a, x-b", ALLOW_DEFAULT, EX_POLICY_LENIENT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 2, 0, 1);
    ck_assert_ptr_null(kept);

    decide("100-continue", ALLOW_NONE, EX_POLICY_LENIENT, HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    ck_assert_int_eq(asks_100, 0);
    check_refused(&d, 1, 0);
    ck_assert_ptr_null(kept);
}
END_TEST

START_TEST(lenient_with_nothing_dropped_is_met)
{
    ex_decision d;

    decide("100-continue, 100-continue", ALLOW_DEFAULT, EX_POLICY_LENIENT,
           HTTP11, &d);
    ck_assert_int_eq(d.outcome, EX_MET);
    ck_assert_int_eq(asks_100, 1);
    check_refused(&d, 0);
    ck_assert_ptr_null(kept);
}
END_TEST

/* ---- malformed ------------------------------------------------------ */

START_TEST(strict_rejects_a_malformed_field)
{
    ex_decision d;

    ck_assert(!decide("100-continue, @", ALLOW_DEFAULT, EX_POLICY_STRICT,
                      HTTP11, &d));
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    ck_assert_int_eq(d.malformed, 1);
    ck_assert_int_eq(asks_100, 0);
}
END_TEST

START_TEST(lenient_ignores_a_malformed_field_whole)
{
    ex_decision d;

    ck_assert(!decide("100-continue, foo bar", ALLOW_DEFAULT,
                      EX_POLICY_LENIENT, HTTP11, &d));
    ck_assert_int_eq(d.outcome, EX_IGNORED);
    ck_assert_int_eq(d.malformed, 1);
    ck_assert_int_eq(asks_100, 0);
    ck_assert_ptr_null(kept);
}
END_TEST

START_TEST(malformed_field_is_malformed_on_http10_too)
{
    ex_decision d;

    ck_assert(!decide("100-continue;", ALLOW_DEFAULT, EX_POLICY_STRICT,
                      HTTP10, &d));
    ck_assert_int_eq(d.outcome, EX_REJECTED);
    ck_assert_int_eq(d.malformed, 1);
}
END_TEST

/* ---- several scopes: ex_chain_add and ex_join ---------------------- */

/* The chain after the scopes given as (allow, policy) pairs, each judging
 * the same value; *fresh gets what each added, as a string "n n ...". */
static ex_chain chain_of(const char *value, char *fresh, int scopes, ...)
{
    ex_chain ch;
    ex_field f;
    va_list ap;
    int i;

    memset(&ch, 0, sizeof(ch));
    ex_parse(pool, value, strlen(value), &f);
    fresh[0] = '\0';
    va_start(ap, scopes);
    for (i = 0; i < scopes; i++) {
        const apr_array_header_t *allow;
        ex_policy policy;
        ex_decision d;

        allow = va_arg(ap, const apr_array_header_t *);
        policy = (ex_policy)va_arg(ap, int);
        ex_decide(pool, &f, allow, policy, HTTP11, &d);
        sprintf(fresh + strlen(fresh), "%s%d", i ? " " : "",
                ex_chain_add(&ch, &d));
    }
    va_end(ap);
    return ch;
}

START_TEST(chain_the_worst_outcome_wins)
{
    char fresh[64];
    ex_chain ch;

    ch = chain_of("100-continue", fresh, 2,
                  ALLOW_NONE, EX_POLICY_LENIENT,
                  ALLOW_NONE, EX_POLICY_STRICT);
    ck_assert_int_eq(ch.outcome, EX_REJECTED);
    ck_assert_str_eq(fresh, "1 0");
    ch = chain_of("100-continue", fresh, 2,
                  ALLOW_NONE, EX_POLICY_STRICT,
                  ALLOW_DEFAULT, EX_POLICY_LENIENT);
    ck_assert_int_eq(ch.outcome, EX_REJECTED);
    ch = chain_of("100-continue", fresh, 3,
                  ALLOW_DEFAULT, EX_POLICY_STRICT,
                  ALLOW_NONE, EX_POLICY_LENIENT,
                  ALLOW_DEFAULT, EX_POLICY_STRICT);
    ck_assert_int_eq(ch.outcome, EX_IGNORED);
    ck_assert_str_eq(fresh, "0 1 0");
    ch = chain_of("100-continue", fresh, 2,
                  ALLOW_DEFAULT, EX_POLICY_STRICT,
                  ALLOW_DEFAULT, EX_POLICY_LENIENT);
    ck_assert_int_eq(ch.outcome, EX_MET);
    ck_assert(ch.dropped == 0 && !ch.dropped_whole);
}
END_TEST

START_TEST(chain_counts_each_dropped_member_once)
{
    char fresh[64];
    ex_chain ch;

    ch = chain_of("x-a, 100-continue, x-b, x-a", fresh, 3,
                  allow_of("100-continue", "x-a", NULL), EX_POLICY_LENIENT,
                  allow_of("100-continue", "x-b", NULL), EX_POLICY_LENIENT,
                  ALLOW_NONE, EX_POLICY_LENIENT);
    ck_assert_int_eq(ch.outcome, EX_IGNORED);
    ck_assert_str_eq(fresh, "1 2 1");
    ck_assert(ch.dropped == 0xf);
    ck_assert(!ch.dropped_whole);
}
END_TEST

START_TEST(chain_drops_a_malformed_field_once)
{
    char fresh[64];
    ex_chain ch;

    ch = chain_of("100-continue, ;", fresh, 2,
                  ALLOW_DEFAULT, EX_POLICY_LENIENT,
                  ALLOW_NONE, EX_POLICY_LENIENT);
    ck_assert_int_eq(ch.outcome, EX_IGNORED);
    ck_assert_str_eq(fresh, "1 0");
    ck_assert(ch.dropped_whole);
    ck_assert(ch.dropped == 0);
    ch = chain_of("100-continue, ;", fresh, 2,
                  ALLOW_DEFAULT, EX_POLICY_LENIENT,
                  ALLOW_DEFAULT, EX_POLICY_STRICT);
    ck_assert_int_eq(ch.outcome, EX_REJECTED);
}
END_TEST

START_TEST(join_leaves_out_the_members_asked)
{
    ex_field f;
    const char *v = "100-continue, x-a=\"1, 2\" ,, x-b=1;p=q , x-c";

    ck_assert_int_eq(ex_parse(pool, v, strlen(v), &f), 1);
    ck_assert_int_eq(f.members->nelts, 4);
    ck_assert_str_eq(ex_join(pool, &f, 0),
                     "100-continue, x-a=\"1, 2\", x-b=1;p=q, x-c");
    ck_assert_str_eq(ex_join(pool, &f, 0x5), "x-a=\"1, 2\", x-c");
    ck_assert_str_eq(ex_join(pool, &f, ~(apr_uint64_t)0x4), "x-b=1;p=q");
    ck_assert_ptr_null(ex_join(pool, &f, 0xf));
    ck_assert_ptr_null(ex_join(pool, &f, ~(apr_uint64_t)0));
}
END_TEST

/* Sixty-four members, the most a field that parses has: every one has its
 * bit. */
START_TEST(join_and_chain_reach_the_64th_member)
{
    char value[64 * 6 + 1], fresh[64];
    ex_chain ch;
    ex_field f;
    int i;

    value[0] = '\0';
    for (i = 0; i < EX_MAX_MEMBERS; i++) {
        sprintf(value + strlen(value), "%sx-%02d", i ? "," : "", i);
    }
    ck_assert_int_eq(ex_parse(pool, value, strlen(value), &f), 1);
    ck_assert_int_eq(f.members->nelts, 64);
    ck_assert_str_eq(ex_join(pool, &f, ~((apr_uint64_t)1 << 63)), "x-63");
    ck_assert_str_eq(ex_join(pool, &f, ~(apr_uint64_t)1), "x-00");
    ch = chain_of(value, fresh, 2,
                  allow_of("x-63", NULL), EX_POLICY_LENIENT,
                  ALLOW_NONE, EX_POLICY_LENIENT);
    ck_assert_str_eq(fresh, "63 1");
    ck_assert(ch.dropped == ~(apr_uint64_t)0);
}
END_TEST

TCase *policy_tcase(void)
{
    TCase *tc = tcase_create("policy");

    tcase_add_checked_fixture(tc, setup, teardown);

    tcase_add_test(tc, default_allow_meets_100_continue_on_http11);
    tcase_add_test(tc, default_allow_meets_100_continue_in_any_case);
    tcase_add_test(tc, met_100_continue_on_http10_asks_for_no_100);
    tcase_add_test(tc, http10_100_continue_is_ignored_even_with_allow_none);
    tcase_add_test(tc, http10_other_members_are_still_judged);
    tcase_add_test(tc, empty_field_is_met);
    tcase_add_test(tc, allowed_names_match_in_any_case);
    tcase_add_test(tc, value_and_parameters_do_not_affect_the_name_match);
    tcase_add_test(tc, name_must_match_whole);
    tcase_add_test(tc, any_allowed_name_meets);

    tcase_add_test(tc, strict_rejects_a_refused_member);
    tcase_add_test(tc, strict_rejects_100_continue_with_allow_none_on_http11);
    tcase_add_test(tc, strict_lists_every_refused_member);
    tcase_add_test(tc, strict_rejects_when_one_member_of_many_is_refused);

    tcase_add_test(tc, lenient_drops_refused_and_keeps_the_rest_in_order);
    tcase_add_test(tc,
                   lenient_asks_100_follows_whether_100_continue_is_kept);
    tcase_add_test(tc, lenient_keeps_nothing_when_every_member_is_dropped);
    tcase_add_test(tc, lenient_with_nothing_dropped_is_met);

    tcase_add_test(tc, strict_rejects_a_malformed_field);
    tcase_add_test(tc, lenient_ignores_a_malformed_field_whole);
    tcase_add_test(tc, malformed_field_is_malformed_on_http10_too);
    tcase_add_test(tc, chain_the_worst_outcome_wins);
    tcase_add_test(tc, chain_counts_each_dropped_member_once);
    tcase_add_test(tc, chain_drops_a_malformed_field_once);
    tcase_add_test(tc, join_leaves_out_the_members_asked);
    tcase_add_test(tc, join_and_chain_reach_the_64th_member);
    return tc;
}
