/* Tests of expect_field.c: the Expect field value parser (RFC 9110
 * section 10.1.1) and the tchar/token predicates. */
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "expect_field.h"
#include "unit.h"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static char *parsed_copy;

static void teardown(void)
{
    free(parsed_copy);
    parsed_copy = NULL;
    apr_pool_destroy(pool);
    pool = NULL;
}

/* Parse the first len bytes of value.  The bytes are copied into a
 * malloc'ed buffer of exactly len bytes, so a read past the end is a read
 * past the allocation (seen by valgrind or ASan), and a parser that
 * ignores len cannot find a NUL to stop at.  The copy lives until the next
 * parse or the end of the test. */
static int parse_n(const char *value, apr_size_t len, ex_field *f)
{
    int rv;

    free(parsed_copy);
    parsed_copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(parsed_copy);
    memcpy(parsed_copy, value, len);
    memset(f, 0xa5, sizeof(*f));        /* ex_parse must set every field */
    rv = ex_parse(pool, parsed_copy, len, f);
    ck_assert_ptr_nonnull(f->members);
    return rv;
}

static int parse(const char *value, ex_field *f)
{
    return parse_n(value, strlen(value), f);
}

static const ex_member *member(const ex_field *f, int i)
{
    ck_assert_int_lt(i, f->members->nelts);
    return &((const ex_member *)f->members->elts)[i];
}

/* Member i starts at offset at of the parsed value, spans exactly text
 * and its name is the first name_len bytes of it. */
static void check_member(const ex_field *f, int i, apr_size_t at,
                         const char *text, apr_size_t name_len)
{
    const ex_member *m = member(f, i);

    ck_assert_msg(m->text == parsed_copy + at,
                  "member %d starts at offset %ld, not %lu", i,
                  (long)(m->text - parsed_copy), (unsigned long)at);
    ck_assert_uint_eq(m->text_len, strlen(text));
    ck_assert_mem_eq(m->text, text, m->text_len);
    ck_assert_ptr_eq(m->name, m->text);
    ck_assert_uint_eq(m->name_len, name_len);
}

/* ---- well-formed lists ---------------------------------------------- */

START_TEST(single_member_keeps_the_name_as_sent)
{
    ex_field f;

    ck_assert_int_eq(parse("100-Continue", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "100-Continue", 12);
}
END_TEST

START_TEST(member_name_compares_case_insensitively)
{
    ex_field f;

    ck_assert_int_eq(parse("100-Continue, x-FOO=1", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    ck_assert(ex_member_is(member(&f, 0), "100-continue"));
    ck_assert(ex_member_is(member(&f, 0), "100-CONTINUE"));
    ck_assert(!ex_member_is(member(&f, 0), "100-continu"));
    ck_assert(!ex_member_is(member(&f, 0), "100-continuee"));
    ck_assert(!ex_member_is(member(&f, 0), "101-continue"));
    ck_assert(ex_member_is(member(&f, 1), "x-foo"));
    ck_assert(!ex_member_is(member(&f, 1), "x-foo=1"));
}
END_TEST

START_TEST(asks_continue_only_for_a_100_continue_member_of_a_valid_field)
{
    ex_field f;

    parse("x-foo, 100-Continue", &f);
    ck_assert_int_eq(ex_asks_continue(&f), 1);
    parse("x-foo, 100-continue-not", &f);
    ck_assert_int_eq(ex_asks_continue(&f), 0);
    parse("", &f);
    ck_assert_int_eq(ex_asks_continue(&f), 0);
    /* A field that does not parse asks for nothing, whatever came first. */
    parse("100-continue, bad field", &f);
    ck_assert(ex_member_is(member(&f, 0), "100-continue"));
    ck_assert_int_eq(ex_asks_continue(&f), 0);
}
END_TEST

/* The value nearly every client sends, and its neighbours: the member is
 * the same whatever OWS or case is around it. */
START_TEST(common_value_parses_as_any_other)
{
    ex_field f;

    ck_assert_int_eq(parse("100-continue", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_uint_eq(f.error_at, 0);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "100-continue", 12);
    ck_assert(ex_member_is(member(&f, 0), "100-continue"));
    ck_assert_int_eq(ex_asks_continue(&f), 1);
    ck_assert_int_eq(parse(" 100-continue", &f), 1);
    ck_assert_int_eq(ex_asks_continue(&f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 1, "100-continue", 12);
    ck_assert_int_eq(parse("100-continue\t", &f), 1);
    check_member(&f, 0, 0, "100-continue", 12);
    ck_assert_int_eq(parse_n("100-continue", 11, &f), 1);
    check_member(&f, 0, 0, "100-continu", 11);
    ck_assert_int_eq(ex_asks_continue(&f), 0);
    ck_assert_int_eq(parse("100-continuE", &f), 1);
    check_member(&f, 0, 0, "100-continuE", 12);
    ck_assert(ex_member_is(member(&f, 0), "100-continue"));
    ck_assert_int_eq(ex_asks_continue(&f), 1);
}
END_TEST

START_TEST(repeated_member_gives_two_members)
{
    ex_field f;

    ck_assert_int_eq(parse("100-continue, 100-continue", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "100-continue", 12);
    check_member(&f, 1, 14, "100-continue", 12);
}
END_TEST

START_TEST(trailing_empty_element_is_accepted)
{
    ex_field f;

    ck_assert_int_eq(parse("100-continue,", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "100-continue", 12);
}
END_TEST

START_TEST(leading_empty_element_is_accepted)
{
    ex_field f;

    ck_assert_int_eq(parse(",100-continue", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 1, "100-continue", 12);
}
END_TEST

START_TEST(list_of_only_empty_elements_has_no_member)
{
    ex_field f;

    ck_assert_int_eq(parse(",,  , ", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 0);
}
END_TEST

START_TEST(empty_value_has_no_member)
{
    ex_field f;

    ck_assert_int_eq(parse("", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 0);
}
END_TEST

START_TEST(ows_around_commas_and_ends_is_not_part_of_members)
{
    ex_field f;

    ck_assert_int_eq(parse("  a ,b\t,\t c  ,\t", &f), 1);
    ck_assert_int_eq(f.members->nelts, 3);
    check_member(&f, 0, 2, "a", 1);
    check_member(&f, 1, 5, "b", 1);
    check_member(&f, 2, 10, "c", 1);
}
END_TEST

START_TEST(tabs_are_ows)
{
    ex_field f;

    ck_assert_int_eq(parse("\t100-continue\t,\tx-a=b\t;\tc=d\t", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 1, "100-continue", 12);
    check_member(&f, 1, 16, "x-a=b\t;\tc=d", 3);
}
END_TEST

START_TEST(only_len_bytes_are_parsed)
{
    ex_field f;

    ck_assert_int_eq(parse_n("100-continue, @@@", 12, &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "100-continue", 12);
}
END_TEST

/* ---- values and parameters ------------------------------------------ */

START_TEST(token_value_belongs_to_the_member_not_its_name)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=bar", &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "foo=bar", 3);
    ck_assert(ex_member_is(member(&f, 0), "foo"));
}
END_TEST

START_TEST(comma_inside_quoted_value_does_not_separate)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=\"a b, c\", x", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=\"a b, c\"", 3);
    check_member(&f, 1, 14, "x", 1);
}
END_TEST

START_TEST(escaped_quote_does_not_end_quoted_value)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=\"a\\\"b, c\", x", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=\"a\\\"b, c\"", 3);
    check_member(&f, 1, 15, "x", 1);
}
END_TEST

START_TEST(escaped_backslash_does_not_escape_the_closing_quote)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=\"\\\\\", x", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=\"\\\\\"", 3);
    check_member(&f, 1, 10, "x", 1);
}
END_TEST

START_TEST(empty_quoted_value_parses)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=\"\"", &f), 1);
    check_member(&f, 0, 0, "foo=\"\"", 3);
}
END_TEST

START_TEST(parameters_belong_to_the_member)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=bar;a=b; c=\"d\", x", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=bar;a=b; c=\"d\"", 3);
    check_member(&f, 1, 20, "x", 1);
}
END_TEST

START_TEST(ows_before_semicolon_belongs_to_the_member)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=bar ; a=b , x", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=bar ; a=b", 3);
    check_member(&f, 1, 16, "x", 1);
}
END_TEST

START_TEST(empty_parameters_are_accepted)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=bar;;", &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "foo=bar;;", 3);

    ck_assert_int_eq(parse("foo=bar; ;a=b;", &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "foo=bar; ;a=b;", 3);
}
END_TEST

START_TEST(member_text_ends_before_ows_after_an_empty_parameter)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=bar; , x", &f), 1);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=bar;", 3);
    check_member(&f, 1, 11, "x", 1);

    ck_assert_int_eq(parse("foo=bar;\t", &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    check_member(&f, 0, 0, "foo=bar;", 3);
}
END_TEST

START_TEST(obs_text_is_allowed_in_a_quoted_value)
{
    ex_field f;

    ck_assert_int_eq(parse("foo=\"\x80\xff\", bar=\"\\\x80\"", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "foo=\"\x80\xff\"", 3);
    check_member(&f, 1, 10, "bar=\"\\\x80\"", 3);
}
END_TEST

START_TEST(members_before_an_error_are_kept)
{
    ex_field f;

    ck_assert_int_eq(parse("a, b=c, @", &f), 0);
    ck_assert_int_eq(f.members->nelts, 2);
    check_member(&f, 0, 0, "a", 1);
    check_member(&f, 1, 3, "b=c", 1);
    ck_assert_uint_eq(f.error_at, 8);
}
END_TEST

/* ---- malformed values ----------------------------------------------- */

typedef struct {
    const char *value;
    apr_size_t len;
    apr_size_t error_at;
} malformed_case;

#define MC(lit, at) { lit, sizeof(lit) - 1, at }

static const malformed_case malformed[] = {
    MC("foo bar", 4),                   /* two tokens */
    MC("foo;a=b", 3),                   /* parameters need a value first */
    MC("=foo", 0),                      /* no name */
    MC("foo=", 4),                      /* no value */
    MC("foo==bar", 4),
    MC("foo=\"unterminated", 17),
    MC("foo=\"a\\", 7),                 /* quoted-pair cut by the end */
    MC("foo=bar;a", 9),                 /* parameter without '=' */
    MC("foo=bar;a;b=c", 9),
    MC("foo=bar;a=", 10),               /* parameter without a value */
    MC("foo=bar;a=\"x", 12),
    MC("foo=bar;a=b c", 12),
    MC("foo = bar", 4),                 /* no BWS around '=' */
    MC("foo= bar", 4),
    MC("foo=bar baz", 8),
    MC("foo=bar;=b", 8),
    MC("foo\x01", 3),                   /* CTLs outside quotes */
    MC("\x01" "foo", 0),
    MC("foo\x7f", 3),
    MC("foo\r", 3),
    MC("foo\n", 3),
    MC("foo\r\n bar", 3),
    MC("foo=b\x01r", 5),
    MC("foo=\"a\x01\"", 6),             /* CTLs inside quotes */
    MC("foo=\"a\x7f\"", 6),
    MC("foo=\"a\rb\"", 6),
    MC("foo=\"a\nb\"", 6),
    MC("foo=\"a\\\x01\"", 7),           /* quoted-pair escaping a CTL */
    MC("foo=\"a\\\x7f\"", 7),
    MC("foo=\"a\\\n\"", 7),
    MC("@foo", 0),                      /* delimiters are not tchars */
    MC("fo(o", 2),
    MC("foo, b@r", 6),
    MC("fo\"o\"", 2),
    MC("foo\0bar", 3),                  /* NUL inside the buffer */
    MC("foo=\"a\0b\"", 6),
    MC("\0", 0),
    MC("fo\x80o", 2),                   /* obs-text is not a tchar */
    MC("foo=\x80", 4),
    MC("foo=bar;a=\xff", 10),
};

#define N_MALFORMED ((int)(sizeof(malformed) / sizeof(malformed[0])))

START_TEST(malformed_value_is_refused_at_the_offending_byte)
{
    const malformed_case *c = &malformed[_i];
    ex_field f;

    ck_assert_msg(parse_n(c->value, c->len, &f) == 0,
                  "case %d parsed", _i);
    ck_assert_msg(f.error != NULL, "case %d: no error message", _i);
    ck_assert_msg(f.error_at == c->error_at,
                  "case %d: error_at %lu, expected %lu (%s)", _i,
                  (unsigned long)f.error_at, (unsigned long)c->error_at,
                  f.error);
}
END_TEST

START_TEST(success_clears_a_previous_error)
{
    ex_field f;

    ck_assert_int_eq(parse("@", &f), 0);
    ck_assert_ptr_nonnull(f.error);
    ck_assert_int_eq(parse("a", &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_uint_eq(f.error_at, 0);
}
END_TEST

/* ---- limits --------------------------------------------------------- */

/* n members "m" separated by ", ", then tail. */
static const char *members_value(int n, const char *tail)
{
    apr_size_t len = (apr_size_t)n * 3 + strlen(tail) + 1;
    char *s = apr_palloc(pool, len);
    char *p = s;
    int i;

    for (i = 0; i < n; i++) {
        if (i > 0) {
            *p++ = ',';
            *p++ = ' ';
        }
        *p++ = 'm';
    }
    strcpy(p, tail);
    return s;
}

START_TEST(max_members_parse)
{
    ex_field f;

    ck_assert_int_eq(parse(members_value(EX_MAX_MEMBERS, ""), &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, EX_MAX_MEMBERS);

    /* Empty elements do not count. */
    ck_assert_int_eq(parse(members_value(EX_MAX_MEMBERS, ", ,,"), &f), 1);
    ck_assert_int_eq(f.members->nelts, EX_MAX_MEMBERS);
}
END_TEST

START_TEST(one_member_over_the_max_is_malformed)
{
    ex_field f;

    ck_assert_int_eq(parse(members_value(EX_MAX_MEMBERS + 1, ""), &f), 0);
    ck_assert_pstr_eq(f.error, "too many expectations");
    ck_assert_uint_eq(f.error_at, (apr_size_t)EX_MAX_MEMBERS * 3);
    ck_assert_int_eq(f.members->nelts, EX_MAX_MEMBERS);
}
END_TEST

START_TEST(long_token_parses)
{
    apr_size_t len = 8192;
    char *s = apr_palloc(pool, len + 1);
    ex_field f;

    memset(s, 'a', len);
    s[len] = '\0';
    ck_assert_int_eq(parse(s, &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    ck_assert_uint_eq(member(&f, 0)->name_len, len);
    ck_assert_uint_eq(member(&f, 0)->text_len, len);
}
END_TEST

START_TEST(long_quoted_value_parses)
{
    apr_size_t len = 8192;
    char *s = apr_palloc(pool, len + 1);
    ex_field f;

    memset(s, ' ', len);
    memcpy(s, "x=\"", 3);
    s[len - 1] = '"';
    s[len] = '\0';
    ck_assert_int_eq(parse(s, &f), 1);
    ck_assert_int_eq(f.members->nelts, 1);
    ck_assert_uint_eq(member(&f, 0)->name_len, 1);
    ck_assert_uint_eq(member(&f, 0)->text_len, len);
}
END_TEST

START_TEST(long_run_of_empty_elements_has_no_member)
{
    apr_size_t len = 8192, i;
    char *s = apr_palloc(pool, len + 1);
    ex_field f;

    for (i = 0; i < len; i++) {
        s[i] = "\t, ,"[i % 4];
    }
    s[len] = '\0';
    ck_assert_int_eq(parse(s, &f), 1);
    ck_assert_ptr_null(f.error);
    ck_assert_int_eq(f.members->nelts, 0);
}
END_TEST

/* ---- tchar and token ------------------------------------------------ */

/* RFC 9110 section 5.6.2, written independently of the parser's table. */
static int rfc_tchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z')
           || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

START_TEST(tchar_is_exactly_the_rfc_set)
{
    int c, count = 0;

    for (c = 0; c < 256; c++) {
        char s[1];

        s[0] = (char)c;
        ck_assert_msg(!ex_is_token(s, 1) == !rfc_tchar(c),
                      "ex_is_token(\"\\x%02x\", 1) is %d", c,
                      ex_is_token(s, 1));
        count += rfc_tchar(c);
    }
    ck_assert_int_eq(count, 10 + 26 + 26 + 15);
}
END_TEST

START_TEST(token_is_one_or_more_tchars)
{
    ck_assert(!ex_is_token("", 0));
    ck_assert(!ex_is_token("abc", 0));
    ck_assert(ex_is_token("100-continue", 12));
    ck_assert(ex_is_token("!#$%&'*+-.^_`|~09AZaz", 21));
    ck_assert(!ex_is_token("ab c", 4));
    ck_assert(ex_is_token("ab c", 2));
    ck_assert(!ex_is_token("abc\0", 4));
    ck_assert(!ex_is_token("ab=c", 4));
    ck_assert(!ex_is_token("abc\x80", 4));
}
END_TEST

TCase *field_tcase(void)
{
    TCase *tc = tcase_create("field");

    tcase_add_checked_fixture(tc, setup, teardown);

    tcase_add_test(tc, single_member_keeps_the_name_as_sent);
    tcase_add_test(tc, member_name_compares_case_insensitively);
    tcase_add_test(tc, common_value_parses_as_any_other);
    tcase_add_test(tc, asks_continue_only_for_a_100_continue_member_of_a_valid_field);
    tcase_add_test(tc, repeated_member_gives_two_members);
    tcase_add_test(tc, trailing_empty_element_is_accepted);
    tcase_add_test(tc, leading_empty_element_is_accepted);
    tcase_add_test(tc, list_of_only_empty_elements_has_no_member);
    tcase_add_test(tc, empty_value_has_no_member);
    tcase_add_test(tc, ows_around_commas_and_ends_is_not_part_of_members);
    tcase_add_test(tc, tabs_are_ows);
    tcase_add_test(tc, only_len_bytes_are_parsed);

    tcase_add_test(tc, token_value_belongs_to_the_member_not_its_name);
    tcase_add_test(tc, comma_inside_quoted_value_does_not_separate);
    tcase_add_test(tc, escaped_quote_does_not_end_quoted_value);
    tcase_add_test(tc, escaped_backslash_does_not_escape_the_closing_quote);
    tcase_add_test(tc, empty_quoted_value_parses);
    tcase_add_test(tc, parameters_belong_to_the_member);
    tcase_add_test(tc, ows_before_semicolon_belongs_to_the_member);
    tcase_add_test(tc, empty_parameters_are_accepted);
    tcase_add_test(tc, member_text_ends_before_ows_after_an_empty_parameter);
    tcase_add_test(tc, obs_text_is_allowed_in_a_quoted_value);
    tcase_add_test(tc, members_before_an_error_are_kept);

    tcase_add_loop_test(tc, malformed_value_is_refused_at_the_offending_byte,
                        0, N_MALFORMED);
    tcase_add_test(tc, success_clears_a_previous_error);

    tcase_add_test(tc, max_members_parse);
    tcase_add_test(tc, one_member_over_the_max_is_malformed);
    tcase_add_test(tc, long_token_parses);
    tcase_add_test(tc, long_quoted_value_parses);
    tcase_add_test(tc, long_run_of_empty_elements_has_no_member);

    tcase_add_test(tc, tchar_is_exactly_the_rfc_set);
    tcase_add_test(tc, token_is_one_or_more_tchars);
    return tc;
}
