/* expect_counters.c: the shared counters and their table of names. */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_pools.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "expect_counters.h"
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

/* The names given as one string, separated by spaces. */
static apr_array_header_t *list_of(const char *names)
{
    apr_array_header_t *list = apr_array_make(pool, 4, sizeof(char *));
    char *last, *tok, *copy = apr_pstrdup(pool, names);

    for (tok = apr_strtok(copy, " ", &last); tok;
         tok = apr_strtok(NULL, " ", &last)) {
        *(char **)apr_array_push(list) = tok;
    }
    return list;
}

/* Assign the names; the ones left without a slot, joined by spaces. */
static const char *assign(const char *names)
{
    apr_array_header_t *left = ex_counters_assign(&counters, pool,
                                                  list_of(names));

    return apr_array_pstrcat(pool, left, ' ');
}

static void name(const char *s)
{
    ex_count_name(&counters, s, strlen(s));
}

/* The slot holding s, or -1. */
static int slot_of(const char *s)
{
    char buf[EX_NAME_SIZE];
    apr_uint64_t n;
    int i;

    for (i = 0; i < EX_NAMES_MAX; i++) {
        if (ex_counted_name(&counters, i, buf, &n) && strcmp(buf, s) == 0) {
            return i;
        }
    }
    return -1;
}

/* The count of the name's slot; the name must have one. */
static apr_uint64_t count_of(const char *s)
{
    char buf[EX_NAME_SIZE];
    apr_uint64_t n = 0;
    int i = slot_of(s);

    ck_assert_msg(i >= 0, "\"%s\" has a slot", s);
    ex_counted_name(&counters, i, buf, &n);
    return n;
}

/* How many slots hold a name. */
static int slots_used(void)
{
    char buf[EX_NAME_SIZE];
    apr_uint64_t n;
    int i, used = 0;

    for (i = 0; i < EX_NAMES_MAX; i++) {
        used += ex_counted_name(&counters, i, buf, &n);
    }
    return used;
}

START_TEST(configured_names_take_slots_in_the_order_given)
{
    ck_assert_str_eq(assign("100-continue x-foo x-checksum"), "");
    ck_assert_int_eq(slot_of("100-continue"), 0);
    ck_assert_int_eq(slot_of("x-foo"), 1);
    ck_assert_int_eq(slot_of("x-checksum"), 2);
    ck_assert_int_eq(slots_used(), 3);
    ck_assert_uint_eq(count_of("x-foo"), 0);
}
END_TEST

START_TEST(repeated_names_take_one_slot_in_lower_case)
{
    ck_assert_str_eq(assign("100-continue X-Foo x-foo 100-continue x-FOO"),
                     "");
    ck_assert_int_eq(slot_of("x-foo"), 1);
    ck_assert_int_eq(slots_used(), 2);
}
END_TEST

START_TEST(members_count_in_their_names_slot_case_insensitively)
{
    assign("100-continue x-foo");
    name("x-foo");
    name("X-Foo");
    name("100-Continue");
    ck_assert_uint_eq(count_of("x-foo"), 2);
    ck_assert_uint_eq(count_of("100-continue"), 1);
    ck_assert_uint_eq(counters.other_names, 0);
}
END_TEST

START_TEST(names_no_one_configured_count_as_other_and_take_no_slot)
{
    char buf[32];
    int i;

    assign("100-continue x-foo");
    for (i = 0; i < 20; i++) {
        snprintf(buf, sizeof(buf), "x-junk-%d", i);
        name(buf);
    }
    ck_assert_uint_eq(counters.other_names, 20);
    ck_assert_int_eq(slots_used(), 2);
    ck_assert_int_eq(slot_of("x-junk-0"), -1);
    ck_assert_uint_eq(count_of("x-foo"), 0);
}
END_TEST

START_TEST(nothing_is_counted_by_name_before_names_are_assigned)
{
    name("100-continue");
    ck_assert_uint_eq(counters.other_names, 1);
    ck_assert_int_eq(slots_used(), 0);
}
END_TEST

START_TEST(a_name_is_not_a_prefix_match)
{
    assign("x-foo");
    name("x-fo");
    name("x-foob");
    name("x");
    ck_assert_uint_eq(counters.other_names, 3);
    ck_assert_uint_eq(count_of("x-foo"), 0);
}
END_TEST

START_TEST(a_configured_name_too_long_for_a_slot_is_left_out)
{
    char longest[EX_NAME_SIZE], too_long[EX_NAME_SIZE + 1];

    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    memset(too_long, 'b', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    ck_assert_str_eq(assign(apr_pstrcat(pool, longest, " ", too_long, " ",
                                        too_long, NULL)),
                     too_long);
    ck_assert_int_eq(slots_used(), 1);
    name(longest);
    name(too_long);
    ck_assert_uint_eq(count_of(longest), 1);
    ck_assert_uint_eq(counters.other_names, 1);
}
END_TEST

START_TEST(names_past_the_table_are_left_out_and_count_as_other)
{
    const char *names = "";
    char buf[32];
    int i;

    for (i = 0; i < EX_NAMES_MAX + 3; i++) {
        names = apr_psprintf(pool, "%s x-%d", names, i);
    }
    snprintf(buf, sizeof(buf), "x-%d", EX_NAMES_MAX);
    ck_assert_str_eq(assign(names),
                     apr_psprintf(pool, "x-%d x-%d x-%d", EX_NAMES_MAX,
                                  EX_NAMES_MAX + 1, EX_NAMES_MAX + 2));
    ck_assert_int_eq(slots_used(), EX_NAMES_MAX);
    name(buf);
    name("x-0");
    ck_assert_uint_eq(counters.other_names, 1);
    ck_assert_uint_eq(count_of("x-0"), 1);
}
END_TEST

START_TEST(a_restart_keeps_the_slots_and_counts_of_names_still_configured)
{
    int foo, bar;

    assign("100-continue x-foo x-bar");
    foo = slot_of("x-foo");
    bar = slot_of("x-bar");
    name("x-foo");
    name("x-foo");
    name("x-bar");
    name("100-continue");
    /* The same names in another order, and a new one. */
    ck_assert_str_eq(assign("x-new x-bar 100-continue x-foo"), "");
    ck_assert_int_eq(slot_of("x-foo"), foo);
    ck_assert_int_eq(slot_of("x-bar"), bar);
    ck_assert_int_eq(slot_of("100-continue"), 0);
    ck_assert_uint_eq(count_of("x-foo"), 2);
    ck_assert_uint_eq(count_of("x-bar"), 1);
    ck_assert_uint_eq(count_of("100-continue"), 1);
    ck_assert_int_eq(slot_of("x-new"), 3);
    ck_assert_uint_eq(count_of("x-new"), 0);
}
END_TEST

START_TEST(a_name_no_longer_configured_gives_up_its_slot_and_count)
{
    int foo;

    assign("100-continue x-foo x-bar");
    foo = slot_of("x-foo");
    name("x-foo");
    name("x-foo");
    assign("100-continue x-bar");
    ck_assert_int_eq(slot_of("x-foo"), -1);
    ck_assert_int_eq(slots_used(), 2);
    name("x-foo");
    ck_assert_uint_eq(counters.other_names, 1);
    /* A new name takes the free slot and counts from zero. */
    assign("100-continue x-bar x-baz");
    ck_assert_int_eq(slot_of("x-baz"), foo);
    ck_assert_uint_eq(count_of("x-baz"), 0);
    ck_assert_uint_eq(count_of("x-bar"), 0);
}
END_TEST

START_TEST(a_full_table_keeps_the_names_it_has_over_new_ones)
{
    const char *names = "";
    int i;

    for (i = 0; i < EX_NAMES_MAX; i++) {
        names = apr_psprintf(pool, "%s x-%d", names, i);
    }
    assign(names);
    name("x-5");
    /* x-new comes first but finds no slot: every name keeps its own. */
    ck_assert_str_eq(assign(apr_pstrcat(pool, "x-new", names, NULL)),
                     "x-new");
    ck_assert_uint_eq(count_of("x-5"), 1);
    ck_assert_int_eq(slot_of("x-new"), -1);
}
END_TEST

START_TEST(a_slot_being_written_is_passed_over)
{
    char buf[EX_NAME_SIZE];
    apr_uint64_t n;

    assign("100-continue x-foo");
    /* As the parent leaves it while it writes the slot. */
    counters.names[1].seq |= 1;
    name("x-foo");
    ck_assert_uint_eq(counters.other_names, 1);
    ck_assert_int_eq(ex_counted_name(&counters, 1, buf, &n), 0);
    counters.names[1].seq++;
    name("x-foo");
    ck_assert_uint_eq(count_of("x-foo"), 1);
}
END_TEST

/* ---- the request that core judged -------------------------------------- */

START_TEST(unjudged_requests_are_counted)
{
    ex_count_unjudged(&counters);
    ex_count_unjudged(&counters);
    ck_assert_uint_eq(counters.unjudged, 2);
    ck_assert_uint_eq(counters.requests, 0);
}
END_TEST

START_TEST(the_first_unjudged_request_is_told_once)
{
    ck_assert_int_eq(ex_counters_first_unjudged(&counters), 1);
    ck_assert_int_eq(ex_counters_first_unjudged(&counters), 0);
    ck_assert_int_eq(ex_counters_first_unjudged(&counters), 0);
}
END_TEST

#define PROCS 6

/* Processes that share the counters as httpd's children do: each asks
 * once, and exactly one hears 1. */
START_TEST(the_first_unjudged_request_is_told_once_across_processes)
{
    apr_shm_t *shm;
    ex_counters *shared;
    volatile apr_uint32_t *go;
    pid_t pids[PROCS];
    int i, told = 0;

    ck_assert_int_eq(apr_shm_create(&shm, sizeof(ex_counters) + 8, NULL,
                                    pool), APR_SUCCESS);
    shared = apr_shm_baseaddr_get(shm);
    ex_counters_init(shared);
    go = (volatile apr_uint32_t *)((char *)shared + sizeof(ex_counters));
    *go = 0;
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            int tries = 0;

            /* All start together, or after 5 s at the latest. */
            while (apr_atomic_read32(go) == 0 && ++tries < 5000) {
                apr_sleep(1000);
            }
            ex_count_unjudged(shared);
            _exit(ex_counters_first_unjudged(shared));
        }
    }
    apr_atomic_set32(go, 1);
    for (i = 0; i < PROCS; i++) {
        int status;

        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status));
        told += WEXITSTATUS(status);
    }
    ck_assert_int_eq(told, 1);
    ck_assert_uint_eq(shared->unjudged, PROCS);
    ck_assert_int_eq(ex_counters_first_unjudged(shared), 0);
    apr_shm_destroy(shm);
}
END_TEST

/* Processes that count into the same counters at once, as httpd's
 * children do, lose nothing, whichever atomics the build has: with the
 * lock (make unit's second build), a lock of one process only would lose
 * adds here. */
#define PROC_ROUNDS 200000

START_TEST(processes_counting_at_once_lose_nothing)
{
    apr_shm_t *shm;
    ex_counters *shared;
    volatile apr_uint32_t *go;
    pid_t pids[PROCS];
    int i;

    ck_assert_int_eq(apr_shm_create(&shm, sizeof(ex_counters) + 8, NULL,
                                    pool), APR_SUCCESS);
    shared = apr_shm_baseaddr_get(shm);
    ex_counters_init(shared);
    go = (volatile apr_uint32_t *)((char *)shared + sizeof(ex_counters));
    *go = 0;
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            apr_time_t until = apr_time_now() + apr_time_from_sec(5);
            int n;

            /* All start together (or after 5 s at the latest): spinning,
             * not sleeping, so that they count at the same time. */
            while (apr_atomic_read32(go) == 0 && apr_time_now() < until) {
                apr_thread_yield();
            }
            for (n = 0; n < PROC_ROUNDS; n++) {
                ex_count_unjudged(shared);
                ex_count_continue(shared, n & 1, EX_CONT_SENT, 3);
            }
            _exit(0);
        }
    }
    apr_atomic_set32(go, 1);
    for (i = 0; i < PROCS; i++) {
        int status;

        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ck_assert_uint_eq(shared->unjudged, PROCS * PROC_ROUNDS);
    ck_assert_uint_eq(shared->by_proto[0].sent + shared->by_proto[1].sent,
                      PROCS * PROC_ROUNDS);
    ck_assert_uint_eq(shared->by_proto[0].delay_us + shared->by_proto[1].delay_us,
                      3 * PROCS * PROC_ROUNDS);
    apr_shm_destroy(shm);
}
END_TEST

/* Where the counters take a lock, a process that died holding it (killed
 * between two instructions of an add) stops nobody: a waiter that sees the
 * same hold for two seconds takes it over.  (With lock-free atomics the
 * lock word is never looked at.) */
START_TEST(a_process_that_died_holding_the_lock_stops_nobody)
{
    int locked = strcmp(ex_counters_atomics(), "locked") == 0;
    apr_time_t before = apr_time_now();

    counters.lock = 7;          /* held, by nobody left to give it back */
    ex_count_unjudged(&counters);
    ex_count_unjudged(&counters);
    ck_assert_uint_eq(counters.unjudged, 2);
    if (locked) {
        /* taken over (9), given back (10), taken and given back (12) */
        ck_assert_uint_eq(counters.lock, 12);
        ck_assert_int_ge(apr_time_now() - before, apr_time_from_sec(2));
    }
}
END_TEST

/* The shared memory's layout is the same on every ABI (i386 aligns a
 * 64-bit member to 4 bytes: without _Alignas, slot 1's count would sit at
 * 4 mod 8): make cross runs this on arm64, armhf, i386 and s390x. */
START_TEST(the_layout_is_the_same_on_every_abi)
{
    ck_assert_uint_eq(sizeof(ex_name_slot), 80);
    ck_assert_uint_eq(offsetof(ex_counters, by_proto), 72);
    ck_assert_uint_eq(offsetof(ex_counters, unjudged_told), 440);
    ck_assert_uint_eq(offsetof(ex_counters, names), 448);
    ck_assert_uint_eq(sizeof(ex_counters), 448 + EX_NAMES_MAX * 80);
    ck_assert_uint_eq(offsetof(ex_counters, names[1].count) % 8, 0);
}
END_TEST

/* ---- counting decisions ---------------------------------------------- */

static void count(const char *value, const char *allow, ex_policy policy,
                  int http11)
{
    ex_field field;
    ex_decision d;

    ex_parse(pool, value, strlen(value), &field);
    ex_decide(pool, &field, list_of(allow), policy, http11, &d);
    ex_count(&counters, &field, &d);
}

START_TEST(each_outcome_is_counted)
{
    assign("100-continue x-foo");
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
    ck_assert_uint_eq(count_of("x-foo"), 2);
    ck_assert_uint_eq(count_of("100-continue"), 2);
    ck_assert_uint_eq(counters.other_names, 1);     /* x-bar */
    ck_assert_uint_eq(counters.unjudged, 0);
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
    assign("100-continue x-foo");
    count("x-foo, bad field", "100-continue", EX_POLICY_STRICT, 1);
    count("100-continue, ;", "100-continue", EX_POLICY_LENIENT, 1);
    ck_assert_uint_eq(counters.malformed, 2);
    ck_assert_uint_eq(counters.rejected, 1);
    ck_assert_uint_eq(counters.ignored, 1);
    ck_assert_uint_eq(counters.would_reject, 1);
    ck_assert_uint_eq(counters.continue_100, 0);
    ck_assert_uint_eq(count_of("x-foo"), 0);
    ck_assert_uint_eq(count_of("100-continue"), 0);
    ck_assert_uint_eq(counters.other_names, 0);
}
END_TEST

/* An internal redirect judged again: the request moves to the worst
 * outcome of its scopes, its members are not counted twice, and what a
 * lenient scope drops counts as would_reject once per member. */
START_TEST(a_request_judged_again_moves_to_its_new_outcome)
{
    ex_field field;
    ex_decision d;
    ex_chain chain = { EX_MET, 0, 0 };
    ex_outcome was;
    int fresh;

    assign("100-continue x-foo");
    ex_parse(pool, "100-continue, x-foo, x-bar", 26, &field);
    ex_decide(pool, &field, list_of("100-continue x-foo x-bar"),
              EX_POLICY_STRICT, 1, &d);
    ck_assert_int_eq(ex_chain_add(&chain, &d), 0);
    ex_count(&counters, &field, &d);

    /* Lenient: x-foo and x-bar dropped. */
    was = chain.outcome;
    ex_decide(pool, &field, list_of("100-continue"), EX_POLICY_LENIENT, 1,
              &d);
    fresh = ex_chain_add(&chain, &d);
    ck_assert_int_eq(fresh, 2);
    ex_count_again(&counters, was, chain.outcome, fresh);
    ck_assert_uint_eq(counters.requests, 1);
    ck_assert_uint_eq(counters.met, 0);
    ck_assert_uint_eq(counters.ignored, 1);
    ck_assert_uint_eq(counters.would_reject, 2);
    ck_assert_uint_eq(count_of("x-foo"), 1);
    ck_assert_uint_eq(counters.continue_100, 1);

    /* Lenient again, another list: only 100-continue is new. */
    was = chain.outcome;
    ex_decide(pool, &field, list_of("x-foo"), EX_POLICY_LENIENT, 1, &d);
    fresh = ex_chain_add(&chain, &d);
    ck_assert_int_eq(fresh, 1);
    ex_count_again(&counters, was, chain.outcome, fresh);
    ck_assert_uint_eq(counters.ignored, 1);
    ck_assert_uint_eq(counters.would_reject, 3);

    /* Met by a looser scope: it stays ignored. */
    was = chain.outcome;
    ex_decide(pool, &field, list_of("100-continue x-foo x-bar"),
              EX_POLICY_STRICT, 1, &d);
    fresh = ex_chain_add(&chain, &d);
    ex_count_again(&counters, was, chain.outcome, fresh);
    ck_assert_int_eq(chain.outcome, EX_IGNORED);
    ck_assert_uint_eq(counters.ignored, 1);
    ck_assert_uint_eq(counters.met, 0);

    /* Refused: rejected, and nothing more is would_reject. */
    was = chain.outcome;
    ex_decide(pool, &field, list_of("x-bar"), EX_POLICY_STRICT, 1, &d);
    fresh = ex_chain_add(&chain, &d);
    ck_assert_int_eq(fresh, 0);
    ex_count_again(&counters, was, chain.outcome, fresh);
    ck_assert_uint_eq(counters.requests, 1);
    ck_assert_uint_eq(counters.ignored, 0);
    ck_assert_uint_eq(counters.rejected, 1);
    ck_assert_uint_eq(counters.would_reject, 3);
    ck_assert_uint_eq(counters.met + counters.ignored + counters.rejected,
                      1);
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
#define ROUNDS 4000
#define CONFIGURED 6            /* x-n0 .. x-n5 have slots */
#define SENT 10                 /* x-n0 .. x-n9 are sent */

static volatile apr_uint32_t told;     /* 1s from first_unjudged */

static void *APR_THREAD_FUNC counting_thread(apr_thread_t *t, void *data)
{
    int id = *(int *)data, i;
    char buf[32];

    for (i = 0; i < ROUNDS; i++) {
        /* each thread starts at another name */
        snprintf(buf, sizeof(buf), "X-N%d", (i + id * 3) % SENT);
        name(buf);
        if (i % 8 == 0) {
            ex_count_unjudged(&counters);
            if (ex_counters_first_unjudged(&counters)) {
                apr_atomic_inc32(&told);
            }
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(concurrent_counting_loses_nothing)
{
    apr_thread_t *threads[THREADS];
    int ids[THREADS], i;
    apr_status_t rv;
    char buf[32];

    told = 0;
    assign("x-n0 x-n1 x-n2 x-n3 x-n4 x-n5");
    for (i = 0; i < THREADS; i++) {
        ids[i] = i;
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, counting_thread,
                                           &ids[i], pool), APR_SUCCESS);
    }
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
    }
    /* every name is sent THREADS * ROUNDS / SENT times */
    for (i = 0; i < CONFIGURED; i++) {
        snprintf(buf, sizeof(buf), "x-n%d", i);
        ck_assert_uint_eq(count_of(buf), THREADS * ROUNDS / SENT);
    }
    ck_assert_uint_eq(counters.other_names,
                      (SENT - CONFIGURED) * THREADS * ROUNDS / SENT);
    ck_assert_int_eq(slots_used(), CONFIGURED);
    ck_assert_uint_eq(counters.unjudged, THREADS * ROUNDS / 8);
    ck_assert_uint_eq(told, 1);
    ck_assert_int_eq(ex_counters_first_unjudged(&counters), 0);
}
END_TEST

/* Threads count while a slot is written again and again, as the old
 * generation of children counts during a graceful restart.  The slot goes
 * between "x-" and 40 a's and "x-" and 50 b's, and the threads send every
 * name that the slot reads as while half written, and a name that stays
 * configured.  The half-written names are configured nowhere and must all
 * count as other, and the kept name must count exactly.  The threads
 * count for as long as the slot is rewritten.  Without the sequence
 * numbers, this fails on most runs; it cannot pass by chance with them. */
#define REWRITES 1000000        /* or for 2 seconds, if that comes first */
#define TORN 89                 /* 49 + 40 names half written */

typedef struct {
    int id;
    apr_uint64_t kept, other;   /* what this thread sent */
} torn_arg;

static volatile apr_uint32_t torn_started, torn_done;
static char torn[TORN][EX_NAME_SIZE];

static void make_torn_names(void)
{
    int k, n = 0;

    /* 40 a's overwritten by 50 b's from the left, then the other way */
    for (k = 1; k < 50; k++, n++) {
        memset(torn[n], 'a', 42);
        memset(torn[n], 'b', (apr_size_t)k + 2);
        torn[n][k + 2 > 42 ? k + 2 : 42] = '\0';
        torn[n][0] = 'x';
        torn[n][1] = '-';
    }
    for (k = 1; k <= 40; k++, n++) {
        memset(torn[n], 'b', 52);
        memset(torn[n], 'a', (apr_size_t)k + 2);
        torn[n][52] = '\0';
        torn[n][0] = 'x';
        torn[n][1] = '-';
    }
}

static void *APR_THREAD_FUNC torn_thread(apr_thread_t *t, void *data)
{
    torn_arg *arg = data;
    int i;

    apr_atomic_inc32(&torn_started);
    for (i = arg->id; !apr_atomic_read32(&torn_done) && i < 100000000; i++) {
        if (i % 8 == 0) {
            name("x-kept");
            arg->kept++;
        }
        else {
            name(torn[(i * 7) % TORN]);
            arg->other++;
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(rewriting_slots_never_counts_a_name_half_written)
{
    apr_thread_t *threads[THREADS];
    torn_arg args[THREADS];
    apr_uint64_t kept = 0, other = 0;
    apr_array_header_t *aa, *bbb;
    char a40[41], b50[51];
    apr_pool_t *each;
    apr_status_t rv;
    int i, tries;
    apr_time_t deadline;

    make_torn_names();
    memset(a40, 'a', 40);
    a40[40] = '\0';
    memset(b50, 'b', 50);
    b50[50] = '\0';
    aa = list_of(apr_pstrcat(pool, "x-kept x-", a40, NULL));
    bbb = list_of(apr_pstrcat(pool, "x-kept x-", b50, NULL));
    ex_counters_assign(&counters, pool, aa);
    torn_started = torn_done = 0;
    for (i = 0; i < THREADS; i++) {
        args[i].id = i;
        args[i].kept = args[i].other = 0;
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, torn_thread,
                                           &args[i], pool), APR_SUCCESS);
    }
    for (tries = 0; apr_atomic_read32(&torn_started) < THREADS
                    && tries < 10000; tries++) {
        apr_sleep(1000);
    }
    ck_assert_int_eq(apr_pool_create(&each, pool), APR_SUCCESS);
    deadline = apr_time_now() + apr_time_from_sec(2);
    for (i = 0; i < REWRITES && (i % 64 || apr_time_now() < deadline); i++) {
        ex_counters_assign(&counters, each, i % 2 ? aa : bbb);
        apr_pool_clear(each);
    }
    apr_atomic_set32(&torn_done, 1);
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
        kept += args[i].kept;
        other += args[i].other;
    }
    ck_assert_uint_gt(kept, 0);
    ck_assert_uint_eq(count_of("x-kept"), kept);
    ck_assert_uint_eq(counters.other_names, other);
    ck_assert_int_eq(slot_of("x-kept"), 0);
}
END_TEST

/* ---- what became of a 100-continue ------------------------------------- */

START_TEST(continue_outcomes_count_by_protocol)
{
    ex_count_continue(&counters, 0, EX_CONT_SENT, 120);
    ex_count_continue(&counters, 0, EX_CONT_SENT, 30);
    ex_count_continue(&counters, 0, EX_CONT_SKIPPED, 999);
    ex_count_continue(&counters, 0, EX_CONT_EARLY, 999);
    ex_count_continue(&counters, 0, EX_CONT_ABANDONED, 999);
    ex_count_continue(&counters, 1, EX_CONT_SENT, 7);
    ex_count_continue(&counters, 1, EX_CONT_EARLY, 0);
    ex_count_continue(&counters, 1, EX_CONT_UNKNOWN, 999);
    ck_assert_uint_eq(counters.by_proto[0].sent, 2);
    ck_assert_uint_eq(counters.by_proto[0].delay_us, 150);
    ck_assert_uint_eq(counters.by_proto[0].skipped, 1);
    ck_assert_uint_eq(counters.by_proto[0].early_body, 1);
    ck_assert_uint_eq(counters.by_proto[0].abandoned, 1);
    ck_assert_uint_eq(counters.by_proto[1].sent, 1);
    ck_assert_uint_eq(counters.by_proto[1].delay_us, 7);
    ck_assert_uint_eq(counters.by_proto[1].skipped, 0);
    ck_assert_uint_eq(counters.by_proto[1].early_body, 1);
    ck_assert_uint_eq(counters.by_proto[1].abandoned, 0);
    ck_assert_uint_eq(counters.by_proto[1].unknown, 1);
    ck_assert_uint_eq(counters.by_proto[0].unknown, 0);
    /* nothing else moves */
    ck_assert_uint_eq(counters.requests, 0);
    ck_assert_uint_eq(counters.continue_100, 0);
}
END_TEST

START_TEST(an_undecided_outcome_counts_nothing)
{
    ex_count_continue(&counters, 0, EX_CONT_NONE, 50);
    ex_count_continue(&counters, 1, (ex_cont_outcome)42, 50);
    ck_assert_uint_eq(counters.by_proto[0].sent + counters.by_proto[0].skipped
                      + counters.by_proto[0].early_body
                      + counters.by_proto[0].abandoned + counters.by_proto[0].unknown
                      + counters.by_proto[0].delay_us, 0);
    ck_assert_uint_eq(counters.by_proto[1].sent + counters.by_proto[1].delay_us, 0);
}
END_TEST

/* Each outcome's row: the names it has in the log, the exposition and
 * mod_status, and the counter it is counted in. */
START_TEST(continue_outcomes_have_their_names_and_counters)
{
    static const struct {
        ex_cont_outcome outcome;
        const char *name, *label, *key;
        apr_size_t offset;
    } want[] = {
        { EX_CONT_SENT, "sent", "sent", "ExpectContinueSent",
          offsetof(ex_continue_counts, sent) },
        { EX_CONT_SKIPPED, "skipped", "skipped", "ExpectContinueSkipped",
          offsetof(ex_continue_counts, skipped) },
        { EX_CONT_EARLY, "early-body", "early_body",
          "ExpectContinueEarlyBody", offsetof(ex_continue_counts, early_body) },
        { EX_CONT_ABANDONED, "abandoned", "abandoned",
          "ExpectContinueAbandoned", offsetof(ex_continue_counts, abandoned) },
        { EX_CONT_UNKNOWN, "unknown", "unknown", "ExpectContinueUnknown",
          offsetof(ex_continue_counts, unknown) },
    };
    int i;

    ck_assert_int_eq(sizeof(want) / sizeof(want[0]), EX_CONT_OUTCOMES);
    for (i = 0; i < EX_CONT_OUTCOMES; i++) {
        const ex_cont_field *f = ex_cont_field_of(want[i].outcome);

        ck_assert_ptr_eq(f, &ex_cont_fields[i]);
        ck_assert_str_eq(f->name, want[i].name);
        ck_assert_str_eq(f->label, want[i].label);
        ck_assert_str_eq(f->key, want[i].key);
        ck_assert_uint_eq(f->offset, want[i].offset);
        /* and ex_count_continue() counts it there */
        ex_counters_init(&counters);
        ex_count_continue(&counters, 1, want[i].outcome, 0);
        ck_assert_uint_eq(ex_counter_at(&counters.by_proto[1], f->offset), 1);
    }
}
END_TEST

static void *APR_THREAD_FUNC continue_thread(apr_thread_t *t, void *data)
{
    int i;

    (void)data;
    for (i = 0; i < ROUNDS; i++) {
        ex_count_continue(&counters, i & 1, (ex_cont_outcome)(1 + i % 4), 3);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(concurrent_continue_counting_loses_nothing)
{
    apr_thread_t *threads[THREADS];
    apr_status_t rv;
    int i;

    for (i = 0; i < THREADS; i++) {
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, continue_thread,
                                           NULL, pool), APR_SUCCESS);
    }
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
    }
    /* i % 4 == 0 (sent) and 2 (early) fall on even i: HTTP/1.x; 1
     * (skipped) and 3 (abandoned) on odd i: HTTP/2 */
    ck_assert_uint_eq(counters.by_proto[0].sent, THREADS * ROUNDS / 4);
    ck_assert_uint_eq(counters.by_proto[0].delay_us, 3 * THREADS * ROUNDS / 4);
    ck_assert_uint_eq(counters.by_proto[0].early_body, THREADS * ROUNDS / 4);
    ck_assert_uint_eq(counters.by_proto[1].skipped, THREADS * ROUNDS / 4);
    ck_assert_uint_eq(counters.by_proto[1].abandoned, THREADS * ROUNDS / 4);
    ck_assert_uint_eq(counters.by_proto[1].sent + counters.by_proto[0].skipped, 0);
    /* every delay of 3 us in the first bucket, none lost */
    ck_assert_uint_eq(counters.by_proto[0].delay_in[0], THREADS * ROUNDS / 4);
    ck_assert_uint_eq(counters.by_proto[1].delay_in[0], 0);
}
END_TEST

START_TEST(a_delay_counts_in_the_first_bucket_not_below_it)
{
    static const struct {
        apr_uint64_t us;
        int bucket;
    } cases[] = {
        { 0, 0 }, { 100, 0 }, { 101, 1 }, { 250, 1 }, { 999, 3 },
        { 1000, 3 }, { 1001, 4 }, { 999999, 12 }, { 1000000, 12 },
        { 10000000, 15 }, { 10000001, 16 }, { ~(apr_uint64_t)0, 16 },
    };
    int i;

    for (i = 0; i < EX_DELAY_BUCKETS; i++) {
        ck_assert_int_eq(ex_delay_bucket(ex_delay_bounds_us[i]), i);
        if (i > 0) {
            ck_assert_uint_gt(ex_delay_bounds_us[i], ex_delay_bounds_us[i - 1]);
        }
    }
    ck_assert_uint_eq(ex_delay_bounds_us[0], 100);
    ck_assert_uint_eq(ex_delay_bounds_us[EX_DELAY_BUCKETS - 1], 10000000);
    for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        ck_assert_int_eq(ex_delay_bucket(cases[i].us), cases[i].bucket);
    }
}
END_TEST

START_TEST(a_sent_100_counts_its_delay_in_a_bucket_of_its_protocol)
{
    ex_count_continue(&counters, 0, EX_CONT_SENT, 120);
    ex_count_continue(&counters, 0, EX_CONT_SENT, 30);
    ex_count_continue(&counters, 1, EX_CONT_SENT, 20000000);
    ex_count_continue(&counters, 1, EX_CONT_SKIPPED, 5);
    ex_count_continue(&counters, 0, EX_CONT_EARLY, 5);
    ck_assert_uint_eq(counters.by_proto[0].delay_in[0], 1);
    ck_assert_uint_eq(counters.by_proto[0].delay_in[1], 1);
    ck_assert_uint_eq(counters.by_proto[1].delay_in[EX_DELAY_BUCKETS], 1);
    ck_assert_uint_eq(counters.by_proto[1].delay_in[0], 0);
}
END_TEST

START_TEST(a_snapshot_holds_every_counter_and_each_named_slot)
{
    ex_snapshot s;
    apr_array_header_t *names = apr_array_make(pool, 2, sizeof(char *));
    int i, k;

    *(const char **)apr_array_push(names) = "100-continue";
    *(const char **)apr_array_push(names) = "x-b";
    ex_counters_assign(&counters, pool, names);
    ex_count_name(&counters, "x-b", 3);
    ex_count_name(&counters, "x-b", 3);
    ex_count_name(&counters, "x-zz", 4);
    ex_count_unjudged(&counters);
    ex_count_continue(&counters, 1, EX_CONT_SENT, 300);
    ex_count_continue(&counters, 0, EX_CONT_ABANDONED, 0);
    /* every 64-bit counter, by a value of its own */
    counters.requests = 11;
    counters.met = 12;
    counters.rejected = 13;
    counters.ignored = 14;
    counters.continue_100 = 15;
    counters.malformed = 16;
    counters.would_reject = 17;
    ex_counters_snapshot(&counters, &s);
    ck_assert_uint_eq(s.counts.requests, 11);
    ck_assert_uint_eq(s.counts.met, 12);
    ck_assert_uint_eq(s.counts.rejected, 13);
    ck_assert_uint_eq(s.counts.ignored, 14);
    ck_assert_uint_eq(s.counts.continue_100, 15);
    ck_assert_uint_eq(s.counts.malformed, 16);
    ck_assert_uint_eq(s.counts.would_reject, 17);
    ck_assert_uint_eq(s.counts.other_names, 1);
    ck_assert_uint_eq(s.counts.unjudged, 1);
    for (k = 0; k < EX_CONT_PROTOS; k++) {
        ck_assert_uint_eq(s.counts.by_proto[k].sent, counters.by_proto[k].sent);
        ck_assert_uint_eq(s.counts.by_proto[k].abandoned,
                          counters.by_proto[k].abandoned);
        ck_assert_uint_eq(s.counts.by_proto[k].delay_us, counters.by_proto[k].delay_us);
        for (i = 0; i <= EX_DELAY_BUCKETS; i++) {
            ck_assert_uint_eq(s.counts.by_proto[k].delay_in[i],
                              counters.by_proto[k].delay_in[i]);
        }
    }
    ck_assert_uint_eq(s.counts.by_proto[1].delay_in[2], 1);
    ck_assert_uint_eq(s.counts.by_proto[0].abandoned, 1);
    ck_assert_int_eq(s.nnames, 2);
    ck_assert_str_eq(s.names[0].name, "100-continue");
    ck_assert_uint_eq(s.names[0].count, 0);
    ck_assert_str_eq(s.names[1].name, "x-b");
    ck_assert_uint_eq(s.names[1].count, 2);
}
END_TEST

TCase *counters_tcase(void)
{
    TCase *tc = tcase_create("counters");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, configured_names_take_slots_in_the_order_given);
    tcase_add_test(tc, repeated_names_take_one_slot_in_lower_case);
    tcase_add_test(tc, members_count_in_their_names_slot_case_insensitively);
    tcase_add_test(tc, names_no_one_configured_count_as_other_and_take_no_slot);
    tcase_add_test(tc, nothing_is_counted_by_name_before_names_are_assigned);
    tcase_add_test(tc, a_name_is_not_a_prefix_match);
    tcase_add_test(tc, a_configured_name_too_long_for_a_slot_is_left_out);
    tcase_add_test(tc, names_past_the_table_are_left_out_and_count_as_other);
    tcase_add_test(tc,
        a_restart_keeps_the_slots_and_counts_of_names_still_configured);
    tcase_add_test(tc, a_name_no_longer_configured_gives_up_its_slot_and_count);
    tcase_add_test(tc, a_full_table_keeps_the_names_it_has_over_new_ones);
    tcase_add_test(tc, a_slot_being_written_is_passed_over);
    tcase_add_test(tc, unjudged_requests_are_counted);
    tcase_add_test(tc, the_first_unjudged_request_is_told_once);
    tcase_add_test(tc, the_first_unjudged_request_is_told_once_across_processes);
    tcase_add_test(tc, processes_counting_at_once_lose_nothing);
    tcase_add_test(tc, a_process_that_died_holding_the_lock_stops_nobody);
    tcase_add_test(tc, the_layout_is_the_same_on_every_abi);
    tcase_add_test(tc, each_outcome_is_counted);
    tcase_add_test(tc, only_lenient_drops_are_would_reject);
    tcase_add_test(tc, malformed_fields_count_once_and_name_nothing);
    tcase_add_test(tc, a_request_judged_again_moves_to_its_new_outcome);
    tcase_add_test(tc, http10_continue_is_counted_as_requested);
    tcase_add_test(tc, concurrent_counting_loses_nothing);
    tcase_add_test(tc, rewriting_slots_never_counts_a_name_half_written);
    tcase_add_test(tc, continue_outcomes_count_by_protocol);
    tcase_add_test(tc, an_undecided_outcome_counts_nothing);
    tcase_add_test(tc, continue_outcomes_have_their_names_and_counters);
    tcase_add_test(tc, concurrent_continue_counting_loses_nothing);
    tcase_add_test(tc, a_delay_counts_in_the_first_bucket_not_below_it);
    tcase_add_test(tc, a_sent_100_counts_its_delay_in_a_bucket_of_its_protocol);
    tcase_add_test(tc, a_snapshot_holds_every_counter_and_each_named_slot);
    return tc;
}
