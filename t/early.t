# Requests httpd answers before header_parser, the first hook that knows a
# request's whole configuration, are not judged: a mod_alias Redirect
# (translate_name), TRACE and OPTIONS * (map_to_storage), a URI core
# refuses.  They get what stock httpd would give them, never a stall and
# never a desynchronised connection.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 17;

my $body = "early body";
my $cl = "Content-Length: " . length $body;

# --- Redirect: answered in translate_name -----------------------------------
{
    my $s = connect_to();
    send_raw($s, request(GET => '/early/moved', ["Expect: x-unknown"]));
    my $res = read_response($s);
    is $res && $res->{status}, 302,
        'Redirect: an unknown expectation gets the redirect, not 417';
    ok !exists $res->{headers}{'x-expect-status'},
        '... and is not judged (no EXPECT_STATUS)';
}
{
    # The client waits for 100 before its body: the redirect comes at
    # once, and the unread body can never be read as the next request.
    my $s = connect_to();
    send_raw($s, request(POST => '/early/moved', ["Expect: 100-continue", $cl]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 302,
        'Redirect, 100-continue, body withheld: the final status at once';
    like $res && $res->{headers}{connection} // '', qr/close/i,
        '... with Connection: close, the body being unread';
    send_raw($s, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    ok closed_by_server($s, 10),
        '... and nothing sent after it is taken for a request';
}

# --- TRACE: answered in map_to_storage -------------------------------------
{
    my $s = connect_to();
    send_raw($s, request(TRACE => '/early/trace', ["Expect: x-unknown"]));
    my $res = read_response($s);
    is $res && $res->{status}, 200, 'TRACE: answered, not judged';
    like $res && $res->{body}, qr/^Expect: x-unknown\r?$/mi,
        '... and the echo shows the Expect field as sent';
    ok !exists $res->{headers}{'x-expect-status'}, '... no EXPECT_STATUS';
}

# --- OPTIONS *: answered in map_to_storage ---------------------------------
{
    my $s = connect_to();
    send_raw($s, request(OPTIONS => '*', ["Expect: x-unknown"]));
    my $res = read_response($s);
    is $res && $res->{status}, 200, 'OPTIONS *: answered, not judged';
    ok !exists $res->{headers}{'x-expect-status'}, '... no EXPECT_STATUS';
}

# --- a URI core refuses before translate_name ------------------------------
{
    my $s = connect_to();
    send_raw($s, request(GET => '/early/%zz', ["Expect: x-unknown"]));
    my $res = read_response($s);
    is $res && $res->{status}, 400, 'a bad URI: core\'s 400, not judged';
    ok !exists $res->{headers}{'x-expect-status'}, '... no EXPECT_STATUS';
}

# --- the same scope, when it reaches header_parser, is judged --------------
{
    my $s = connect_to();
    send_raw($s, request(GET => '/early/page', ["Expect: x-unknown"]));
    my $res = read_response($s);
    is $res && $res->{status}, 417, 'the scope itself refuses what it does not meet';
    is $res && $res->{headers}{'x-expect-status'}, 'rejected', '... EXPECT_STATUS rejected';
}
{
    my $s = connect_to();
    send_raw($s, request(POST => '/early/page', ["Expect: 100-continue", $cl]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 417,
        'ExpectAllow none, 100-continue, body withheld: 417 at once';
    like $res && $res->{headers}{connection} // '', qr/close/i,
        '... with Connection: close';
    ok closed_by_server($s, 10), '... and the server closes the connection';
}
