# 100-continue through a ProxyPass location (mod_proxy_http), to this
# server's own echo script.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 11;

my $body = "proxied body";
my $cl = "Content-Length: " . length $body;

for my $path ('/proxy', '/proxy-ping') {
    my $s = connect_to();
    my ($interim, $final) =
        exchange($s, request(POST => $path, ["Expect: 100-continue", $cl]), $body,
                 wait => 10);
    is $interim && $interim->{status}, 100,
        "$path: the client gets its interim 100 before sending the body";
    is $final && $final->{status}, 200, "$path: 200";
    like $final && $final->{body}, qr/^BODY=\Q$body\E$/m,
        "$path: the backend read the body";
    # the proxy and the backend (this same server) each judged it
    is $final && $final->{headers}{'x-expect-status'}, 'met, met',
        "$path: EXPECT_STATUS met at the proxy and at the backend";
}

{
    my $s = connect_to();
    send_raw($s, request(POST => '/proxy', ["Expect: x-foo", $cl]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 417,
        'a refused expectation is answered by the proxy, before the body';
}

SKIP: {
    # The proxy meets x-foo and passes the field on; the backend does not
    # meet it, and its 417 reaches the client without the body being sent.
    # mod_proxy_http forwards 100-continue since 2.4.41; before, it reads
    # the client's body (sending the 100 itself) before it asks.
    my $server = Apache::Test::config()->{server}{version};
    skip "$server: mod_proxy_http reads the body before it forwards "
         . "100-continue (before 2.4.41)", 2
        if !have_min_apache_version('2.4.41');
    my $s = connect_to();
    send_raw($s, request(POST => '/proxy-ext', ["Expect: 100-continue, x-foo",
                                                $cl]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 417,
        'a proxy scope that meets x-foo: the backend\'s 417, before the body';
    is $res && $res->{headers}{'x-expect-status'}, 'met, rejected',
        '... met at the proxy, refused at the backend';
}
