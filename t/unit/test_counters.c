/* expect_counters.c: the shared counters and their table of names. */
#include <stdio.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "expect.h"
#include "unit.h"

static apr_pool_t *pool;
static ex_counters counters;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    ex_counters_init(&counters);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static void name(const char *s)
{
    ex_count_name(&counters, s, strlen(s));
}

static int slot_of(const char *s)
{
    int i;

    for (i = 0; i < EX_NAMES_MAX; i++) {
        const char *n = ex_counted_name(&counters, i);

        if (n && strcmp(n, s) == 0) {
            return i;
        }
    }
    return -1;
}

START_TEST(names_take_slots_in_the_order_seen)
{
    name("100-continue");
    name("x-foo");
    name("100-continue");
    ck_assert_str_eq(ex_counted_name(&counters, 0), "100-continue");
    ck_assert_str_eq(ex_counted_name(&counters, 1), "x-foo");
    ck_assert_ptr_null(ex_counted_name(&counters, 2));
    ck_assert_uint_eq(counters.names[0].count, 2);
    ck_assert_uint_eq(counters.names[1].count, 1);
    ck_assert_uint_eq(counters.other_names, 0);
}
END_TEST

START_TEST(names_are_counted_case_insensitively_in_lower_case)
{
    name("X-Foo");
    name("x-FOO");
    ck_assert_str_eq(ex_counted_name(&counters, 0), "x-foo");
    ck_assert_uint_eq(counters.names[0].count, 2);
    ck_assert_ptr_null(ex_counted_name(&counters, 1));
}
END_TEST

START_TEST(a_name_is_not_a_prefix_match)
{
    name("x-foo");
    name("x-fo");
    name("x-foob");
    ck_assert_int_eq(slot_of("x-foo"), 0);
    ck_assert_int_eq(slot_of("x-fo"), 1);
    ck_assert_int_eq(slot_of("x-foob"), 2);
}
END_TEST

START_TEST(names_past_the_table_count_as_other)
{
    char buf[16];
    int i;

    for (i = 0; i < EX_NAMES_MAX + 3; i++) {
        snprintf(buf, sizeof(buf), "x-%d", i);
        name(buf);
    }
    name("x-0");
    ck_assert_str_eq(ex_counted_name(&counters, EX_NAMES_MAX - 1), "x-15");
    ck_assert_uint_eq(counters.names[0].count, 2);
    ck_assert_uint_eq(counters.other_names, 3);
    name("x-17");
    ck_assert_uint_eq(counters.other_names, 4);
}
END_TEST

START_TEST(long_names_count_as_other)
{
    char longest[EX_NAME_SIZE], too_long[EX_NAME_SIZE + 1];

    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    memset(too_long, 'b', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    name(longest);
    name(too_long);
    ck_assert_str_eq(ex_counted_name(&counters, 0), longest);
    ck_assert_ptr_null(ex_counted_name(&counters, 1));
    ck_assert_uint_eq(counters.other_names, 1);
}
END_TEST

START_TEST(a_slot_left_half_written_is_not_waited_for_forever)
{
    /* A process that died while writing a name leaves the slot in the
     * writing state (1). */
    counters.names[0].state = 1;
    name("x-foo");
    ck_assert_uint_eq(counters.other_names, 1);
    ck_assert_ptr_null(ex_counted_name(&counters, 0));
}
END_TEST

/* ---- counting decisions ---------------------------------------------- */

static void count(const char *value, const char *allow, ex_policy policy,
                  int http11)
{
    ex_field field;
    ex_decision d;
    apr_array_header_t *list = apr_array_make(pool, 2, sizeof(char *));
    char *last, *tok, *copy = apr_pstrdup(pool, allow);

    for (tok = apr_strtok(copy, " ", &last); tok;
         tok = apr_strtok(NULL, " ", &last)) {
        *(char **)apr_array_push(list) = tok;
    }
    ex_parse(pool, value, strlen(value), &field);
    ex_decide(pool, &field, list, policy, http11, &d);
    ex_count(&counters, &field, &d);
}

START_TEST(each_outcome_is_counted)
{
    count("100-continue", "100-continue", EX_POLICY_STRICT, 1);
    count("x-foo", "100-continue", EX_POLICY_STRICT, 1);
    count("x-foo, x-bar, 100-continue", "100-continue", EX_POLICY_LENIENT, 1);
    ck_assert_uint_eq(counters.requests, 3);
    ck_assert_uint_eq(counters.met, 1);
    ck_assert_uint_eq(counters.rejected, 1);
    ck_assert_uint_eq(counters.ignored, 1);
    ck_assert_uint_eq(counters.malformed, 0);
    ck_assert_uint_eq(counters.continue_100, 2);
    ck_assert_uint_eq(counters.would_reject, 2);
    ck_assert_uint_eq(counters.names[slot_of("x-foo")].count, 2);
    ck_assert_uint_eq(counters.names[slot_of("100-continue")].count, 2);
}
END_TEST

START_TEST(only_lenient_drops_are_would_reject)
{
    count("x-foo, x-bar", "100-continue", EX_POLICY_STRICT, 1);
    ck_assert_uint_eq(counters.would_reject, 0);
    count("x-foo, x-bar", "100-continue", EX_POLICY_LENIENT, 1);
    ck_assert_uint_eq(counters.would_reject, 2);
}
END_TEST

START_TEST(malformed_fields_count_once_and_name_nothing)
{
    count("x-foo, bad field", "100-continue", EX_POLICY_STRICT, 1);
    count("100-continue, ;", "100-continue", EX_POLICY_LENIENT, 1);
    ck_assert_uint_eq(counters.malformed, 2);
    ck_assert_uint_eq(counters.rejected, 1);
    ck_assert_uint_eq(counters.ignored, 1);
    ck_assert_uint_eq(counters.would_reject, 1);
    ck_assert_uint_eq(counters.continue_100, 0);
    ck_assert_ptr_null(ex_counted_name(&counters, 0));
}
END_TEST

START_TEST(http10_continue_is_counted_as_requested)
{
    count("100-continue", "", EX_POLICY_STRICT, 0);
    ck_assert_uint_eq(counters.met, 1);
    ck_assert_uint_eq(counters.continue_100, 1);
}
END_TEST

/* ---- many threads at once ---------------------------------------------- */

#define THREADS 8
#define ROUNDS 2000
#define NAMES (EX_NAMES_MAX + 4)

static void *APR_THREAD_FUNC counting_thread(apr_thread_t *t, void *data)
{
    int id = *(int *)data, i;
    char buf[16];

    for (i = 0; i < ROUNDS; i++) {
        /* each thread starts at another name: the table fills in a race */
        snprintf(buf, sizeof(buf), "X-N%d", (i + id * 3) % NAMES);
        name(buf);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(concurrent_counting_loses_nothing_and_never_doubles_a_name)
{
    apr_thread_t *threads[THREADS];
    int ids[THREADS], i, j;
    apr_uint64_t total = counters.other_names;
    apr_status_t rv;

    for (i = 0; i < THREADS; i++) {
        ids[i] = i;
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, counting_thread,
                                           &ids[i], pool), APR_SUCCESS);
    }
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
    }
    total = counters.other_names;
    for (i = 0; i < EX_NAMES_MAX; i++) {
        const char *n = ex_counted_name(&counters, i);

        ck_assert_ptr_nonnull(n);
        for (j = 0; j < i; j++) {
            ck_assert_str_ne(n, ex_counted_name(&counters, j));
        }
        /* every name is sent THREADS * ROUNDS / NAMES times: all of them
         * land in its slot once it has one */
        ck_assert_uint_eq(counters.names[i].count, THREADS * ROUNDS / NAMES);
        total += counters.names[i].count;
    }
    ck_assert_uint_eq(total, THREADS * ROUNDS);
    ck_assert_uint_eq(counters.other_names,
                      (NAMES - EX_NAMES_MAX) * THREADS * ROUNDS / NAMES);
}
END_TEST

TCase *counters_tcase(void)
{
    TCase *tc = tcase_create("counters");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, names_take_slots_in_the_order_seen);
    tcase_add_test(tc, names_are_counted_case_insensitively_in_lower_case);
    tcase_add_test(tc, a_name_is_not_a_prefix_match);
    tcase_add_test(tc, names_past_the_table_count_as_other);
    tcase_add_test(tc, long_names_count_as_other);
    tcase_add_test(tc, a_slot_left_half_written_is_not_waited_for_forever);
    tcase_add_test(tc, each_outcome_is_counted);
    tcase_add_test(tc, only_lenient_drops_are_would_reject);
    tcase_add_test(tc, malformed_fields_count_once_and_name_nothing);
    tcase_add_test(tc, http10_continue_is_counted_as_requested);
    tcase_add_test(tc, concurrent_counting_loses_nothing_and_never_doubles_a_name);
    return tc;
}
