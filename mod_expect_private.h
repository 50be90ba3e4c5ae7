/* What the glue's files share.  mod_expect.c is the table of contents:
 * the module, and the order of every hook.  Each mod_expect_*.c is one
 * concern: it registers its own hooks and owns (alone writes) its part of
 * a request's state, expect_req. */
#ifndef MOD_EXPECT_PRIVATE_H
#define MOD_EXPECT_PRIVATE_H

#include "httpd.h"
#include "http_config.h"

#include "expect_counters.h"
#include "expect_field.h"
#include "expect_policy.h"
#include "expect_scan.h"

extern module AP_MODULE_DECLARE_DATA expect_module;


/* ---- mod_expect_config.c: ExpectAllow, ExpectPolicy ------------------ */

/* A scope's configuration.  Each field has a _set bit, so that a scope
 * that does not mention a directive inherits its parent's. */
typedef struct {
    const apr_array_header_t *allow; /* lower-case names; empty: none */
    ex_policy policy;
    unsigned int allow_set:1;
    unsigned int policy_set:1;
} expect_dir_conf;

extern const command_rec expect_cmds[];

/** A scope's configuration before any directive. */
void *expect_create_dir_config(apr_pool_t *p, char *dir);

/** A scope's configuration over its parent's. */
void *expect_merge_dir_config(apr_pool_t *p, void *basev, void *addv);

/** The configuration of the scope the request is in now. */
static APR_INLINE const expect_dir_conf *expect_dir_conf_of(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &expect_module);
}


/* ---- a request's state, a part for each concern ----------------------- */

/* mod_expect_hide.c's: the field it hid from core. */
typedef struct {
    ex_scan_t scan;             /* HTTP/1.x: the scanner of the head */
    const char *value;          /* the field as core would have had it,
                                 * given back or to be; NULL: none */
    apr_time_t head_end;        /* when the head had been read */
    unsigned int until_quick_handler:1; /* not given back yet: core checks
                                 * Expect after post_read_request */
    unsigned int left_to_core:1; /* HTTP/2, mod_http2 1.x on 2.4.49 to
                                 * 2.4.54: headers_in came after
                                 * pre_read_request, and core judged it */
} expect_hidden;

/* mod_expect_judge.c's: the field every scope judges, and their verdict. */
typedef struct {
    const char *value;          /* the field as the first scope found it */
    const char *parsed_value;   /* the value field was parsed from */
    ex_field field;
    ex_chain chain;             /* what the scopes decided together */
    const expect_dir_conf *conf; /* the scope judged last */
    unsigned int judged:1;      /* header_parser saw the request */
    unsigned int counted:1;     /* a scope decided on a field: counted */
} expect_judgement;

/* mod_expect_continue.c's: what became of a met 100-continue. */
typedef struct {
    unsigned int watched:1;     /* being watched, until it is logged */
    unsigned int outcome:3;     /* ex_cont_outcome, once known */
    unsigned int empty_at_final:1; /* looked at when a final status
                                 * began: no body bytes had come */
    apr_time_t continue_at;     /* EX_CONT_SENT: when the 100 went out */
} expect_watch;

/* One request's state, from the head to the log.  A request without an
 * Expect field has none (HTTP/1.x's EXPECT_IN keeps a word until it sees
 * one).  An internal redirect shares its first request's. */
typedef struct {
    expect_hidden hidden;
    expect_judgement judgement;
    expect_watch watch;
} expect_req;

/** The request's state, or NULL. */
static APR_INLINE expect_req *expect_req_of(request_rec *r)
{
    return ap_get_module_config(r->request_config, &expect_module);
}


/* ---- mod_expect_hide.c: EXPECT_IN, and the field given back ----------- */

/** Register EXPECT_IN and the hooks that hide the field and give it back. */
void expect_hide_register_hooks(apr_pool_t *p);

/** Give a field still hidden (until quick_handler) back to the request. */
void expect_give_back(request_rec *r, expect_req *er);


/* ---- mod_expect_judge.c: each scope's verdict ------------------------- */

/** Register the hooks that judge the field in the request's scopes. */
void expect_judge_register_hooks(apr_pool_t *p);

/** The value parsed: once, unless a module replaced it since. */
const ex_field *expect_parse(request_rec *r, expect_req *er,
                             const char *value);

/** Does the request announce a body (RFC 9112 section 6.3)? */
int expect_has_body(request_rec *r);


/* ---- mod_expect_continue.c: what became of a met 100-continue --------- */

/** Register EXPECT_CONTINUE and the hook that logs what it saw. */
void expect_continue_register_hooks(apr_pool_t *p);

/** The request (its first scope, in header_parser) has met or dropped its
 * field: a 100-continue on a request with a body is watched from now on. */
void expect_continue_watch(request_rec *r, expect_req *er);

/** A scope refused the request: no 100 will go out, nothing to watch
 * (what went out before an internal redirect stays as it was). */
void expect_continue_refused(expect_req *er);


/* ---- mod_expect_counters.c: the shared counters' lifecycle ------------ */

/* The server-wide counters, in shared memory: NULL before post_config, or
 * when no shared memory could be had. */
extern ex_counters *expect_counters;

/** Register the hooks that make the counters and give names their slots. */
void expect_counters_register_hooks(apr_pool_t *p);

/** Note a name that ExpectAllow lists in the server configuration: it will
 * have a counter of its own (an .htaccess file's names never do). */
void expect_counters_name(cmd_parms *cmd, const char *name);


/* ---- mod_expect_status.c: the counters for mod_status and Prometheus -- */

/** Register mod_status's hook and the expect-metrics handler. */
void expect_status_register_hooks(apr_pool_t *p);

#endif /* MOD_EXPECT_PRIVATE_H */
