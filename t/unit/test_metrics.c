/* expect_metrics.c: the exposition formats, Accept, label escaping. */
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include "expect_counters.h"
#include "expect_metrics.h"
#include "unit.h"

static apr_pool_t *pool;
static ex_snapshot snap;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    memset(&snap, 0, sizeof(snap));
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static const char *render(ex_format format)
{
    apr_size_t len;
    const char *out = ex_metrics_render(pool, &snap, format, &len);

    ck_assert_uint_eq(strlen(out), len);
    return out;
}

/* Does out have this whole line? */
static int has_line(const char *out, const char *line)
{
    const char *at = out;
    apr_size_t n = strlen(line);

    while ((at = strstr(at, line)) != NULL) {
        if ((at == out || at[-1] == '\n') && at[n] == '\n') {
            return 1;
        }
        at++;
    }
    return 0;
}

#define ck_line(out, line) \
    ck_assert_msg(has_line((out), (line)), "no line \"%s\" in:\n%s", (line), \
                  (out))

START_TEST(accept_picks_openmetrics_only_when_it_is_preferred)
{
    static const struct {
        const char *accept;
        ex_format want;
    } cases[] = {
        { NULL, EX_FORMAT_TEXT },
        { "", EX_FORMAT_TEXT },
        { "*/*", EX_FORMAT_TEXT },
        { "text/plain", EX_FORMAT_TEXT },
        /* Prometheus 2.42 (Debian 12) */
        { "application/openmetrics-text;version=1.0.0,application/"
          "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
          "q=0.5,*/*;q=0.1", EX_FORMAT_OPENMETRICS },
        /* Prometheus 2.53 (Debian 13): weights on every range */
        { "application/openmetrics-text;version=1.0.0;q=0.5,application/"
          "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;"
          "q=0.3,*/*;q=0.2", EX_FORMAT_OPENMETRICS },
        /* a scraper that wants the text format first */
        { "text/plain;version=0.0.4;q=0.5,application/openmetrics-text;"
          "version=1.0.0;q=0.4", EX_FORMAT_TEXT },
        { "application/openmetrics-text", EX_FORMAT_OPENMETRICS },
        { "Application/OpenMetrics-Text; Version=1.0.0", EX_FORMAT_OPENMETRICS },
        { "application/openmetrics-text; version=\"1.0.0\"; q=0.9, "
          "text/plain; q=0.8", EX_FORMAT_OPENMETRICS },
        /* a version this writer does not write */
        { "application/openmetrics-text;version=0.0.1", EX_FORMAT_TEXT },
        { "application/openmetrics-text;version=2.0.0, text/plain;q=0.1",
          EX_FORMAT_TEXT },
        /* refused, or no better than the text format */
        { "application/openmetrics-text;q=0", EX_FORMAT_TEXT },
        { "application/openmetrics-text;q=0.5, */*;q=0.5", EX_FORMAT_TEXT },
        { "text/plain;version=0.0.4;q=1, application/openmetrics-text;q=0.9",
          EX_FORMAT_TEXT },
        { "application/openmetrics-text;q=0.9, text/*;q=0.95", EX_FORMAT_TEXT },
        /* a q that is no qvalue takes nothing */
        { "application/openmetrics-text;q=2", EX_FORMAT_TEXT },
        { "application/openmetrics-text;q=0.12345", EX_FORMAT_TEXT },
        { "application/openmetrics-text;q=abc, text/plain;q=0.001",
          EX_FORMAT_TEXT },
        { "application/openmetrics-text;q=0.002, text/plain;q=0.001",
          EX_FORMAT_OPENMETRICS },
        /* a similar type is not it */
        { "application/openmetrics-textx", EX_FORMAT_TEXT },
        { "application/openmetrics", EX_FORMAT_TEXT },
        /* junk: no crash, the text format */
        { ";;;,,,=;q=", EX_FORMAT_TEXT },
        { "application/openmetrics-text;version=\"1.0.0", EX_FORMAT_TEXT },
        { "application/openmetrics-text;foo=\"a\\\"b,c\";q=1",
          EX_FORMAT_OPENMETRICS },
    };
    int i;

    for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        ck_assert_msg(ex_metrics_negotiate(cases[i].accept) == cases[i].want,
                      "Accept: %s", cases[i].accept ? cases[i].accept
                                                    : "(none)");
    }
}
END_TEST

START_TEST(each_format_has_its_content_type)
{
    ck_assert_str_eq(ex_metrics_type(EX_FORMAT_TEXT),
                     "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_str_eq(ex_metrics_type(EX_FORMAT_OPENMETRICS),
                     "application/openmetrics-text; version=1.0.0; "
                     "charset=utf-8");
}
END_TEST

START_TEST(a_token_name_label_is_as_configured)
{
    snap.nnames = 1;
    strcpy(snap.names[0].name, "x-checksum!#$%&'*+.^_`|~");
    snap.names[0].count = 5;
    ck_line(render(EX_FORMAT_TEXT), "apache_expect_members_total"
            "{name=\"x-checksum!#$%&'*+.^_`|~\"} 5");
}
END_TEST

/* A snapshot with a value of its own in every counter. */
static void fill(void)
{
    int k, i;

    snap.counts.requests = 21;
    snap.counts.met = 10;
    snap.counts.ignored = 4;
    snap.counts.rejected = 7;
    snap.counts.continue_100 = 9;
    snap.counts.malformed = 3;
    snap.counts.would_reject = 5;
    snap.counts.unjudged = 2;
    snap.counts.other_names = 6;
    for (k = 0; k < EX_CONT_PROTOS; k++) {
        snap.counts.by_proto[k].sent = 100 + k;
        snap.counts.by_proto[k].skipped = 200 + k;
        snap.counts.by_proto[k].early_body = 300 + k;
        snap.counts.by_proto[k].abandoned = 400 + k;
    }
    /* HTTP/1.x: 3 at or below 100 us, 1 at 2 ms, 2 over 10 s; 1.5 s in
     * all */
    snap.counts.by_proto[0].delay_in[0] = 3;
    snap.counts.by_proto[0].delay_in[4] = 1;
    snap.counts.by_proto[0].delay_in[EX_DELAY_BUCKETS] = 2;
    snap.counts.by_proto[0].delay_us = 1500000;
    snap.counts.by_proto[1].delay_us = 7;
    for (i = 0; i < EX_DELAY_BUCKETS; i++) {
        snap.counts.by_proto[1].delay_in[i] = 1;
    }
    snap.nnames = 2;
    strcpy(snap.names[0].name, "100-continue");
    snap.names[0].count = 8;
    strcpy(snap.names[1].name, "x-checksum");
    snap.names[1].count = 1;
}

START_TEST(the_text_format_has_every_family_with_help_and_type)
{
    const char *out;

    fill();
    out = render(EX_FORMAT_TEXT);
    ck_line(out, "# TYPE apache_expect_requests_total counter");
    ck_line(out, "apache_expect_requests_total{outcome=\"met\"} 10");
    ck_line(out, "apache_expect_requests_total{outcome=\"ignored\"} 4");
    ck_line(out, "apache_expect_requests_total{outcome=\"rejected\"} 7");
    ck_line(out, "# TYPE apache_expect_malformed_total counter");
    ck_line(out, "apache_expect_malformed_total 3");
    ck_line(out, "apache_expect_would_reject_total 5");
    ck_line(out, "apache_expect_unjudged_total 2");
    ck_line(out, "apache_expect_continue_requests_total 9");
    ck_line(out, "# TYPE apache_expect_members_total counter");
    ck_line(out, "apache_expect_members_total{name=\"100-continue\"} 8");
    ck_line(out, "apache_expect_members_total{name=\"x-checksum\"} 1");
    ck_line(out, "apache_expect_members_total{name=\"other\"} 6");
    ck_line(out, "# TYPE apache_expect_continue_total counter");
    ck_line(out, "apache_expect_continue_total{outcome=\"sent\","
                 "protocol=\"http1\"} 100");
    ck_line(out, "apache_expect_continue_total{outcome=\"skipped\","
                 "protocol=\"http2\"} 201");
    ck_line(out, "apache_expect_continue_total{outcome=\"early_body\","
                 "protocol=\"http1\"} 300");
    ck_line(out, "apache_expect_continue_total{outcome=\"abandoned\","
                 "protocol=\"http2\"} 401");
    ck_line(out, "# TYPE apache_expect_continue_delay_seconds histogram");
    ck_assert_ptr_null(strstr(out, "# EOF"));
    ck_assert_ptr_null(strstr(out, "# UNIT"));
    ck_assert_int_eq(out[strlen(out) - 1], '\n');
}
END_TEST

START_TEST(the_histogram_is_cumulative_and_its_sum_in_seconds)
{
    const char *out;

    fill();
    out = render(EX_FORMAT_TEXT);
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http1\",le=\"0.0001\"} 3");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http1\",le=\"0.001\"} 3");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http1\",le=\"0.0025\"} 4");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http1\",le=\"10.0\"} 4");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http1\",le=\"+Inf\"} 6");
    ck_line(out, "apache_expect_continue_delay_seconds_sum"
                 "{protocol=\"http1\"} 1.500000");
    ck_line(out, "apache_expect_continue_delay_seconds_count"
                 "{protocol=\"http1\"} 6");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http2\",le=\"0.0001\"} 1");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http2\",le=\"1.0\"} 13");
    ck_line(out, "apache_expect_continue_delay_seconds_bucket"
                 "{protocol=\"http2\",le=\"+Inf\"} 16");
    ck_line(out, "apache_expect_continue_delay_seconds_sum"
                 "{protocol=\"http2\"} 0.000007");
    ck_line(out, "apache_expect_continue_delay_seconds_count"
                 "{protocol=\"http2\"} 16");
}
END_TEST

START_TEST(openmetrics_names_counter_families_without_total_and_ends)
{
    const char *out;
    apr_size_t n;

    fill();
    out = render(EX_FORMAT_OPENMETRICS);
    ck_line(out, "# TYPE apache_expect_requests counter");
    ck_assert_ptr_null(strstr(out, "# TYPE apache_expect_requests_total"));
    ck_assert_ptr_null(strstr(out, "# HELP apache_expect_requests_total"));
    ck_line(out, "apache_expect_requests_total{outcome=\"met\"} 10");
    ck_line(out, "# TYPE apache_expect_continue_delay_seconds histogram");
    ck_line(out, "# UNIT apache_expect_continue_delay_seconds seconds");
    ck_line(out, "apache_expect_continue_delay_seconds_count"
                 "{protocol=\"http1\"} 6");
    n = strlen(out);
    ck_assert_uint_gt(n, 6);
    ck_assert_str_eq(out + n - 6, "# EOF\n");
    ck_assert_ptr_eq(strstr(out, "# EOF"), out + n - 6);
}
END_TEST

/* Every sample follows its family's HELP and TYPE, and every family has
 * both, once: in either format. */
static void check_families(const char *out, ex_format format)
{
    apr_table_t *help = apr_table_make(pool, 8), *type = apr_table_make(pool, 8);
    char *copy = apr_pstrdup(pool, out), *last, *line;
    const char *current = NULL;
    int samples = 0;

    for (line = apr_strtok(copy, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            char *name = apr_pstrndup(pool, line + 7, strcspn(line + 7, " "));

            ck_assert_ptr_null(apr_table_get(help, name));
            apr_table_setn(help, name, "1");
            current = name;
        }
        else if (strncmp(line, "# TYPE ", 7) == 0) {
            char *name = apr_pstrndup(pool, line + 7, strcspn(line + 7, " "));

            ck_assert_ptr_nonnull(current);
            ck_assert_str_eq(name, current);
            ck_assert_ptr_null(apr_table_get(type, name));
            apr_table_setn(type, name, line + 8 + strlen(name));
        }
        else if (line[0] != '#') {
            apr_size_t n = strlen(current);
            const char *kind = apr_table_get(type, current);
            const char *rest = line + n;

            ck_assert_msg(strncmp(line, current, n) == 0,
                          "%s outside its family %s", line, current);
            ck_assert_ptr_nonnull(kind);
            if (strcmp(kind, "histogram") == 0) {
                ck_assert_msg(strncmp(rest, "_bucket{", 8) == 0
                              || strncmp(rest, "_sum{", 5) == 0
                              || strncmp(rest, "_count{", 7) == 0, "%s", line);
            }
            else if (format == EX_FORMAT_OPENMETRICS) {
                ck_assert_msg(strncmp(rest, "_total", 6) == 0
                              && (rest[6] == ' ' || rest[6] == '{'),
                              "%s", line);
            }
            else {
                ck_assert_msg(rest[0] == ' ' || rest[0] == '{', "%s", line);
            }
            samples++;
        }
    }
    ck_assert_int_eq(apr_table_elts(help)->nelts, 8);
    ck_assert_int_eq(apr_table_elts(type)->nelts, 8);
    ck_assert_int_gt(samples, 40);
}

START_TEST(every_sample_follows_its_familys_help_and_type)
{
    fill();
    check_families(render(EX_FORMAT_TEXT), EX_FORMAT_TEXT);
    check_families(render(EX_FORMAT_OPENMETRICS), EX_FORMAT_OPENMETRICS);
    /* and with nothing counted yet */
    memset(&snap, 0, sizeof(snap));
    check_families(render(EX_FORMAT_TEXT), EX_FORMAT_TEXT);
    check_families(render(EX_FORMAT_OPENMETRICS), EX_FORMAT_OPENMETRICS);
}
END_TEST

START_TEST(a_name_label_is_escaped_and_never_collides_with_other)
{
    const char *out;

    snap.nnames = 3;
    strcpy(snap.names[0].name, "a\"b\\c");
    snap.names[0].count = 1;
    strcpy(snap.names[1].name, "other");
    snap.names[1].count = 2;
    strcpy(snap.names[2].name, "x\ny");
    snap.names[2].count = 3;
    snap.counts.other_names = 4;
    out = render(EX_FORMAT_TEXT);
    ck_line(out, "apache_expect_members_total{name=\"a\\\"b\\\\c\"} 1");
    ck_line(out, "apache_expect_members_total{name=\"other\"} 2");
    ck_line(out, "apache_expect_members_total{name=\"x\\ny\"} 3");
    ck_line(out, "apache_expect_members_total{name=\"(other)\"} 4");
    /* without a name "other", the rest is "other" */
    snap.nnames = 1;
    out = render(EX_FORMAT_OPENMETRICS);
    ck_line(out, "apache_expect_members_total{name=\"other\"} 4");
    ck_assert_ptr_null(strstr(out, "(other)"));
}
END_TEST

START_TEST(every_continue_outcome_is_rendered_once_per_protocol)
{
    const char *out;
    int i;

    fill();
    out = render(EX_FORMAT_TEXT);
    for (i = 0; i < EX_CONT_OUTCOMES; i++) {
        const char *line = apr_psprintf(pool,
            "apache_expect_continue_total{outcome=\"%s\",protocol=\"http2\"} %"
            APR_UINT64_T_FMT, ex_cont_fields[i].label,
            ex_counter_at(&snap.counts.by_proto[1], ex_cont_fields[i].offset));

        ck_line(out, line);
    }
}
END_TEST

TCase *metrics_tcase(void)
{
    TCase *tc = tcase_create("metrics");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, accept_picks_openmetrics_only_when_it_is_preferred);
    tcase_add_test(tc, each_format_has_its_content_type);
    tcase_add_test(tc, a_token_name_label_is_as_configured);
    tcase_add_test(tc, the_text_format_has_every_family_with_help_and_type);
    tcase_add_test(tc, the_histogram_is_cumulative_and_its_sum_in_seconds);
    tcase_add_test(tc, openmetrics_names_counter_families_without_total_and_ends);
    tcase_add_test(tc, every_sample_follows_its_familys_help_and_type);
    tcase_add_test(tc, a_name_label_is_escaped_and_never_collides_with_other);
    tcase_add_test(tc, every_continue_outcome_is_rendered_once_per_protocol);
    return tc;
}
