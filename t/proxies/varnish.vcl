# Varnish in front of the two origins (t/lib/fronts.py fills in @...@),
# one listen address (-a) for each.  It has no "fix:" part: Varnish 7.1
# judges Expect before vcl_recv runs (docs/proxies.md), so no VCL changes
# what happens to it.
vcl 4.1;

backend module { .host = "127.0.0.1"; .port = "@ORIGIN_MODULE@"; }
backend stock  { .host = "127.0.0.1"; .port = "@ORIGIN_STOCK@"; }

sub vcl_recv {
    if (local.socket == "stock") {
        set req.backend_hint = stock;
    } else {
        set req.backend_hint = module;
    }
}
