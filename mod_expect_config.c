/* ExpectAllow and ExpectPolicy: the per-directory configuration, and how
 * a scope inherits its parent's. */
#include "httpd.h"
#include "http_config.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include "mod_expect_private.h"

/* The most words httpd passes to a TAKE_ARGV directive (AP_MAX_ARGC in
 * server/config.c). */
#define MAX_ARGC 64

/* ExpectAllow's default: what core meets. */
static const char *const default_names[] = { "100-continue" };
static const apr_array_header_t default_allow = {
    NULL, sizeof(const char *), 1, 1, (char *)default_names
};

void *expect_create_dir_config(apr_pool_t *p, char *dir)
{
    expect_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->allow = &default_allow;
    conf->policy = EX_POLICY_STRICT;
    return conf;
}

void *expect_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    expect_dir_conf *base = basev, *add = addv;
    expect_dir_conf *new;

    /* A scope that sets nothing (most <Directory> and <Location> blocks,
     * .htaccess files without these directives) is its parent's: the
     * configurations are never written once read. */
    if (!add->allow_set && !add->policy_set) {
        return base;
    }
    new = apr_palloc(p, sizeof(*new));
    new->allow = add->allow_set ? add->allow : base->allow;
    new->allow_set = add->allow_set || base->allow_set;
    new->policy = add->policy_set ? add->policy : base->policy;
    new->policy_set = add->policy_set || base->policy_set;
    return new;
}

static const char *set_allow(cmd_parms *cmd, void *dconf, int argc,
                             char *const argv[])
{
    expect_dir_conf *conf = dconf;
    apr_array_header_t *allow;
    int i;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s takes 'none' or one or more "
                            "expectation names", cmd->cmd->name);
    }
    if (argc == MAX_ARGC && cmd->directive) {
        /* httpd hands a TAKE_ARGV directive its first 64 words and drops
         * the rest without a word: a longer list would silently meet less
         * than it says. */
        const char *args = cmd->directive->args;

        for (i = 0; i < MAX_ARGC; i++) {
            ap_getword_conf(cmd->temp_pool, &args);
        }
        while (apr_isspace(*args)) {
            args++;
        }
        if (*args != '\0') {
            return apr_psprintf(cmd->pool, "%s takes at most %d names",
                                cmd->cmd->name, MAX_ARGC);
        }
    }
    allow = apr_array_make(cmd->pool, argc, sizeof(const char *));
    for (i = 0; i < argc; i++) {
        char *name;

        if (strcasecmp(argv[i], "none") == 0) {
            if (argc > 1) {
                return apr_psprintf(cmd->pool, "%s: 'none' cannot be "
                                    "combined with expectation names",
                                    cmd->cmd->name);
            }
            break;
        }
        if (!ex_is_token(argv[i], strlen(argv[i]))) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid "
                                "expectation name (an RFC 9110 token)",
                                cmd->cmd->name, argv[i]);
        }
        name = apr_pstrdup(cmd->pool, argv[i]);
        ap_str_tolower(name);
        *(char **)apr_array_push(allow) = name;
        expect_counters_name(cmd, name);
    }
    conf->allow = allow;
    conf->allow_set = 1;
    return NULL;
}

static const char *set_policy(cmd_parms *cmd, void *dconf, const char *arg)
{
    expect_dir_conf *conf = dconf;

    if (strcasecmp(arg, "strict") == 0) {
        conf->policy = EX_POLICY_STRICT;
    }
    else if (strcasecmp(arg, "lenient") == 0) {
        conf->policy = EX_POLICY_LENIENT;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither 'strict' nor "
                            "'lenient'", cmd->cmd->name, arg);
    }
    conf->policy_set = 1;
    return NULL;
}

const command_rec expect_cmds[] = {
    AP_INIT_TAKE_ARGV("ExpectAllow", set_allow, NULL, OR_FILEINFO,
                      "Set the expectations this scope can meet: 'none' or "
                      "one or more expectation names."),
    AP_INIT_TAKE1("ExpectPolicy", set_policy, NULL, OR_FILEINFO,
                  "Set what happens to expectations this scope cannot "
                  "meet: 'strict' answers 417, 'lenient' drops them."),
    { NULL }
};
