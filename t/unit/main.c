/* Run the unit tests of mod_expect's pure part as one suite.
 *
 * Check prints its summary line ("N%: Checks: X, Failures: Y, Errors: Z");
 * the exit status is non-zero when any test fails.
 *
 * Leaks are looked for only when every test passed.  A failed check stops
 * its test where it is, before the test frees what it holds: reporting
 * that as leaks would bury the failure.  So a failed run leaves by _exit,
 * which skips LeakSanitizer's check at exit, and memcheck is run with
 * --leak-check=no and asked for its check below. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <apr_general.h>
#include <valgrind/memcheck.h>

#include "unit.h"

int main(void)
{
    Suite *s;
    SRunner *sr;
    int failed;

    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "run_unit: apr_initialize failed\n");
        return EXIT_FAILURE;
    }

    s = suite_create("mod_expect");
    suite_add_tcase(s, field_tcase());
    suite_add_tcase(s, policy_tcase());
    suite_add_tcase(s, scan_tcase());
    suite_add_tcase(s, counters_tcase());
    suite_add_tcase(s, metrics_tcase());
    suite_add_tcase(s, linear_tcase());

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    apr_terminate();
    if (failed != 0) {
        fprintf(stderr, "run_unit: %d test%s failed: no leak check\n",
                failed, failed == 1 ? "" : "s");
        fflush(NULL);
        _exit(EXIT_FAILURE);
    }
    VALGRIND_DO_LEAK_CHECK;     /* nothing unless run under memcheck */
    return EXIT_SUCCESS;
}
