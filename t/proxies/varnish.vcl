# Varnish in front of the two origins (t/proxies/run.py fills in @...@),
# one listen address (-a) for each.  Between "fix:" and "end fix" is the
# tested configuration that docs/proxies.md gives; PROXY_CONFIG=default
# runs without it.
vcl 4.1;

backend module { .host = "127.0.0.1"; .port = "@ORIGIN_MODULE@"; }
backend stock  { .host = "127.0.0.1"; .port = "@ORIGIN_STOCK@"; }

sub vcl_recv {
    if (local.socket == "stock") {
        set req.backend_hint = stock;
    } else {
        set req.backend_hint = module;
    }
    # fix:
    # end fix
}
