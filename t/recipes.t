# The README's recipes for refusing large uploads before their body is sent.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 6;

{
    my $s = connect_to();
    send_raw($s, request(POST => '/recipe/upload', ["Expect: 100-continue",
                                                    "Content-Length: 5000"]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 413,
        'LimitRequestBody: 413 before the 100, while the body is withheld';
    ok closed_by_server($s, 10), '... and the connection is closed';
}
{
    my $s = connect_to();
    my ($interim, $final) = exchange($s,
        request(POST => '/recipe/upload', ["Expect: 100-continue",
                                           "Content-Length: 10"]), "0123456789");
    is $interim && $interim->{status}, 100, 'LimitRequestBody: a small upload gets its 100';
    is $final && $final->{status}, 200, '... and 200';
}
{
    my $s = connect_to();
    send_raw($s, request(POST => '/recipe/big', ["Expect: 100-continue",
                                                 "Content-Length: 5000"]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 417, '<If> on Content-Length: 417 at once';
    is $res && $res->{body}, 'Uploads over 1000 bytes are not accepted here.',
        '... with the scope\'s own message';
}
