/* Run the unit tests of mod_expect's pure part as one suite.
 *
 * Check prints its summary line ("N%: Checks: X, Failures: Y, Errors: Z");
 * the exit status is non-zero when any test fails. */
#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>

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
    suite_add_tcase(s, linear_tcase());

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
