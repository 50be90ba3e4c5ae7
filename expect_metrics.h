/* expect_metrics.c: a snapshot of the counters in Prometheus's exposition
 * formats, and which one a scraper asks for. */
#ifndef EXPECT_METRICS_H
#define EXPECT_METRICS_H

#include <apr_pools.h>

#include "expect_counters.h"

typedef enum {
    EX_FORMAT_TEXT = 0,      /* text format 0.0.4 */
    EX_FORMAT_OPENMETRICS    /* OpenMetrics 1.0.0 */
} ex_format;

/** The Content-Type of the format. */
const char *ex_metrics_type(ex_format format);

/** The format a scraper's Accept field (NULL: none) asks for: OpenMetrics
 * when it accepts application/openmetrics-text (version 1.0.0, or none)
 * with a higher q than text/plain's, else the text format. */
ex_format ex_metrics_negotiate(const char *accept);

/** The snapshot in that format, from p; its length in *len. */
const char *ex_metrics_render(apr_pool_t *p, const ex_snapshot *s,
                              ex_format format, apr_size_t *len);

#endif /* EXPECT_METRICS_H */
