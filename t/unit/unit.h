/* mod_expect unit tests: one TCase per source file of the pure part. */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>

TCase *field_tcase(void);       /* expect_field.c */
TCase *policy_tcase(void);      /* expect_policy.c */
TCase *scan_tcase(void);        /* expect_scan.c */
TCase *counters_tcase(void);    /* expect_counters.c */
TCase *metrics_tcase(void);     /* expect_metrics.c */
TCase *linear_tcase(void);      /* the parser's and the scanner's cost */

#endif /* UNIT_H */
