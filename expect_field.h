/* expect_field.c: the Expect field value as RFC 9110 section 10.1.1
 * makes it, a list of expectations.  Plain C over APR, as every
 * expect_*.c: no httpd include, tested without a server. */
#ifndef EXPECT_FIELD_H
#define EXPECT_FIELD_H

#include <apr_pools.h>
#include <apr_tables.h>

/* A field with more members than this is refused as malformed: no client
 * needs it, and it bounds the work a hostile field can cause.  A set of
 * members is one bit each of an apr_uint64_t (expect_policy.h). */
#define EX_MAX_MEMBERS 64

/* One member of the list, pointing into the parsed value. */
typedef struct {
    const char *name;        /* the expectation's name, as sent */
    apr_size_t name_len;
    const char *text;        /* the whole member, without surrounding OWS */
    apr_size_t text_len;
} ex_member;

typedef struct {
    apr_array_header_t *members; /* ex_member; empty elements are skipped */
    const char *error;           /* NULL when the value parses, else why not */
    apr_size_t error_at;         /* offset of the byte the parse stopped at */
    int has_100_continue;        /* a member read is 100-continue (the
                                  * field may still not parse) */
} ex_field;

/** Is the whole string (len > 0) a token? */
int ex_is_token(const char *s, apr_size_t len);

/** Parse len bytes of a field value into out (members from p): 1 when it
 * parses, 0 when not (out->error says why, out->members holds the members
 * read before the error). */
int ex_parse(apr_pool_t *p, const char *value, apr_size_t len, ex_field *out);

/** Does the member have the name (compared case-insensitively)? */
int ex_member_is(const ex_member *m, const char *name);

/** Does the field parse, with a 100-continue member? */
int ex_asks_continue(const ex_field *field);

#endif /* EXPECT_FIELD_H */
