/* mod_expect: per-directory control of the Expect request header
 * (RFC 9110 section 10.1.1) for Apache httpd 2.4.
 *
 * httpd's core judges Expect in ap_check_request_header(), before any
 * module hook and with server-level configuration only: any value but
 * exactly "100-continue" gets 417, after the body has been read.  This
 * module hides the field from core while the request is read, gives it
 * back before any other module looks, and judges it in header_parser, the
 * first hook where <Directory>, <Location>, <If> and .htaccess are
 * merged.  docs/how-it-works.md tells the whole story.
 *
 * The files, one concern each (mod_expect_private.h is what they share):
 *
 *   mod_expect_config.c    ExpectAllow, ExpectPolicy, per-directory merge
 *   mod_expect_hide.c      EXPECT_IN hides the field from core; it is
 *                          given back in post_read_request
 *   mod_expect_judge.c     each scope's verdict: the 417, what a lenient
 *                          scope leaves, internal and fast redirects
 *   mod_expect_continue.c  EXPECT_CONTINUE: what became of a met
 *                          100-continue, counted and logged
 *   mod_expect_counters.c  the shared counters' lifecycle
 *   mod_expect_status.c    mod_status's lines, the expect-metrics handler
 *   expect_*.c             the pure units (parser, policy, scanner,
 *                          counters, exposition), without httpd
 *
 * The hooks, in the order a request meets them, and why there:
 *
 *   pre_read_request   hide      HTTP/1.x: adds EXPECT_IN before the head
 *                                is read; HTTP/2: mod_http2 2.x has
 *                                filled headers_in, the field is taken
 *   post_read_request  hide      REALLY_FIRST - 10, and before
 *                                mod_log_forensic's by name: every other
 *                                hook, other REALLY_FIRST ones too, sees
 *                                the field given back, as core would have
 *                                had it
 *   quick_handler      hide      before 2.4.49 only, where core checks
 *                                Expect after post_read_request:
 *                                REALLY_FIRST, before mod_cache's
 *   header_parser      judge     REALLY_FIRST: the first hook with the
 *                                whole per-directory configuration; later
 *                                header_parser hooks (mod_setenvif) see
 *                                EXPECT_STATUS, and a 417 stops the phase.
 *                                A request met or dropped there is handed
 *                                to continue, which adds EXPECT_CONTINUE
 *   fixups             judge     REALLY_LAST, after mod_dir's: a fast
 *                                redirect (DirectoryIndex) brings a new
 *                                scope, judged too
 *   (handler)          continue  EXPECT_CONTINUE sees the first read of
 *                                the body, when core sends the 100
 *   log_transaction    continue  REALLY_FIRST, before mod_log_config's:
 *                                EXPECT_CONTINUE is in the access log
 *   pre_config,        counters  the counters in shared memory, a slot
 *   post_config                  for each configured name
 *   handler,           status    SetHandler expect-metrics; mod_status's
 *   status_hook                  lines
 */
#include "httpd.h"
#include "http_config.h"

#include "mod_expect_private.h"

static void register_hooks(apr_pool_t *p)
{
    expect_hide_register_hooks(p);
    expect_judge_register_hooks(p);
    expect_continue_register_hooks(p);
    expect_counters_register_hooks(p);
    expect_status_register_hooks(p);
}

AP_DECLARE_MODULE(expect) = {
    STANDARD20_MODULE_STUFF,
    expect_create_dir_config,   /* create per-dir config */
    expect_merge_dir_config,    /* merge per-dir config */
    NULL,                       /* create per-server config */
    NULL,                       /* merge per-server config */
    expect_cmds,                /* command table */
    register_hooks,             /* register hooks */
    AP_MODULE_FLAG_NONE         /* flags */
};
