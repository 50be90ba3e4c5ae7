/* The counters' lifecycle: made in shared memory once per parent process,
 * kept across restarts, and a slot for each name that the server
 * configuration's ExpectAllow lines list. */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_shm.h"
#include "apr_strings.h"

#include "mod_expect_private.h"

/* Its lines carry the module's name, and LogLevel expect:... applies. */
APLOG_USE_MODULE(expect);

ex_counters *expect_counters;

/* The names ExpectAllow lists in the server configuration, read since
 * pre_config, for post_config to give them counters.  .htaccess files are
 * read per request, from the request's pool, and add nothing: a client's
 * or a customer's names never take a counter. */
static apr_array_header_t *config_names;

void expect_counters_name(cmd_parms *cmd, const char *name)
{
    if (config_names && cmd->pool == cmd->server->process->pconf) {
        *(const char **)apr_array_push(config_names) = name;
    }
}

/* Before the configuration is read: start the list.  100-continue always
 * has a counter. */
static int expect_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    config_names = apr_array_make(pconf, 8, sizeof(const char *));
    *(const char **)apr_array_push(config_names) = "100-continue";
    return OK;
}

/* Give the names the configuration lists their counters, and say which
 * ones count as other. */
static void assign_names(server_rec *s, apr_pool_t *ptemp)
{
    apr_array_header_t *left = ex_counters_assign(expect_counters, ptemp,
                                                  config_names);
    const char *const *names = (const char *const *)left->elts;
    const char *too_long = NULL, *no_room = NULL;
    int i;

    /* httpd reads its configuration twice at startup: say it once. */
    if (left->nelts == 0
        || ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return;
    }
    for (i = 0; i < left->nelts; i++) {
        const char **list = strlen(names[i]) >= EX_NAME_SIZE ? &too_long
                                                             : &no_room;

        *list = *list ? apr_pstrcat(ptemp, *list, ", ", names[i], NULL)
                      : names[i];
    }
    if (too_long) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "ExpectAllow names longer than %d bytes have no "
                     "counter of their own: mod_status counts them as "
                     "ExpectNameOther: %s", EX_NAME_SIZE - 1, too_long);
    }
    if (no_room) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "ExpectAllow lists more names than the %d counters "
                     "mod_expect has: mod_status counts these as "
                     "ExpectNameOther: %s", EX_NAMES_MAX, no_room);
    }
}

/* The shared memory, made once per parent process and kept in its pool, so
 * that it survives restarts (graceful or not): the new generation of
 * children inherits the same segment.  A restart may load another build of
 * the module: the key carries the layout's version (bump it whenever
 * ex_counters changes) and the size is checked too, so that a build with
 * another layout gets a segment of its own.  Returns NULL, logged, when
 * there is none to have. */
static ex_counters *shared_counters(server_rec *s)
{
    static const char key[] = "mod_expect counters v7";
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm;
    apr_status_t rv;
    void *data;
    ex_counters *c;

    apr_pool_userdata_get(&data, key, process);
    if (data && apr_shm_size_get(data) == sizeof(ex_counters)) {
        return apr_shm_baseaddr_get(data);
    }
    rv = apr_shm_create(&shm, sizeof(ex_counters), NULL, process);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "cannot create shared memory for the Expect counters: "
                     "mod_status and expect-metrics will not show them");
        return NULL;
    }
    c = apr_shm_baseaddr_get(shm);
    /* Every counter is 8-byte aligned in ex_counters (expect_counters.h),
     * and so in memory only if the segment is: APR aligns it, and an
     * atomic on a counter that is not would be a split lock or tear. */
    if ((apr_uintptr_t)c % 8 != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "the shared memory for the Expect counters is not "
                     "8-byte aligned (at %pp): mod_status and expect-metrics "
                     "will not show them", (void *)c);
        apr_shm_destroy(shm);
        return NULL;
    }
    ex_counters_init(c);
    apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, process);
    /* Where 64-bit atomics are not lock-free (armel, 32-bit MIPS), each
     * count takes a lock: an admin may want to know. */
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "the Expect counters: %" APR_SIZE_T_FMT " bytes of shared "
                 "memory, counted with %s 64-bit atomics",
                 sizeof(ex_counters), ex_counters_atomics());
    return c;
}

/* Only the parent runs this, so only it gives names their slots; children
 * only look them up. */
static int expect_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    expect_counters = shared_counters(s);
    if (expect_counters && config_names) {
        assign_names(s, ptemp);
    }
    /* From here on, nothing adds to the list. */
    config_names = NULL;
    return OK;
}

void expect_counters_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(expect_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(expect_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
