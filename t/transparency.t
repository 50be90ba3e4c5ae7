# A request is answered as httpd's core answers it without mod_expect,
# wherever its Expect lines do not make the difference:
#   - a head with more fields than LimitRequestFields and no Expect line
#     gets core's 400, its explanation and its log line (AH00563), not the
#     module's;
#   - a head over the limit only with its Expect lines (which core never
#     sees) gets the 400 core would have given it, with core's words;
#   - a folded or repeated Expect field reaches the application as core
#     makes it.
# The expected answers are those of a stock httpd 2.4 (Debian's apache2,
# without the module) to the same heads.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 17;

my $vhost = 'transparency';          # LimitRequestFields 5
my $core_note = qr/The number of request header fields exceeds this server's limit\./;

# One head on a fresh connection to the virtual host: the response, or a
# stand-in.
sub once {
    my $raw = shift;
    my $s = connect_to($vhost);
    send_raw($s, $raw);
    return read_response($s, timeout => 10)
        || { status => 'none', headers => {}, body => '' };
}

# A POST without a body to /up: Host and Content-Length are two fields,
# then these header lines.
sub post { return request(POST => '/up', ['Content-Length: 0', @_]) }

# --- LimitRequestFields ----------------------------------------------------
{
    # Six fields, none of them Expect: core's own refusal.  Its log line
    # may come after the response: waited for.  The module would have
    # logged its own while the head was read, before core's.
    my $mark = log_mark();
    my $r = once(post(map { "X-N$_: 1" } 1 .. 4));
    is $r->{status}, 400, 'six fields over a limit of five, no Expect: 400';
    like $r->{body}, $core_note, "... with core's explanation";
    unlike $r->{body}, qr/Bad request header/i, '... not the module\'s';
    my $log = wait_log($mark, qr/AH00563: Number of request headers exceeds LimitRequestFields/);
    ok defined $log, "... and core's log line (AH00563)";
    unlike $log // '', qr/\[expect:[a-z]+\].*bad request header/i,
        '... and none of the module\'s';
}

{
    # Six fields, and an Expect line after them: core refuses the sixth.
    my $mark = log_mark();
    my $r = once(post((map { "X-N$_: 1" } 1 .. 4), 'Expect: 100-continue'));
    is $r->{status} . ' ' . ($r->{body} =~ $core_note ? 'core' : 'other'),
        '400 core', 'six fields and an Expect line: core\'s 400';
    ok defined wait_log($mark, qr/AH00563/), '... logged by core';
}

{
    # Five fields, one of them Expect: at the limit.
    my $r = once(post((map { "X-N$_: 1" } 1 .. 2), 'Expect: 100-continue'));
    is $r->{status}, 200, 'five fields, one of them Expect: 200';

    # Five fields and an Expect line: core would have refused the sixth.
    $r = once(post((map { "X-N$_: 1" } 1 .. 3), 'Expect: 100-continue'));
    is $r->{status}, 400, 'five fields and an Expect line: 400';
    like $r->{body}, $core_note, "... with core's explanation";

    $r = once(post('Expect: 100-continue', 'Expect: 100-continue',
                   (map { "X-N$_: 1" } 1 .. 2), 'Expect: 100-continue'));
    is $r->{status} . ' ' . ($r->{body} =~ $core_note ? 'core' : 'other'),
        '400 core', 'three Expect lines among four others: core\'s 400';
}

# --- folded and repeated Expect fields -------------------------------------
# What the application gets: the CGI prints HTTP_EXPECT as it is.
{
    my %cases = (
        'an empty line, then a fold'
            => ["Expect:\r\n 100-continue", '100-continue'],
        'whitespace, then a fold with whitespace around it'
            => ["Expect: \t \r\n \t 100-continue \t", '100-continue'],
        'several folds after an empty line'
            => ["Expect:\r\n a,\r\n\tb,  \r\n  c", 'a, b, c'],
        'a fold after a value'
            => ["Expect: a,\r\n  b", 'a, b'],
        'a folded empty line after another Expect line'
            => ["Expect: a\r\nExpect:\r\n b", 'a, b'],
        'an empty Expect line between two others'
            => ["Expect: a\r\nExpect:\r\nExpect: b", 'a, , b'],
    );
    for my $name (sort keys %cases) {
        my ($lines, $want) = @{ $cases{$name} };
        my $r = once("POST /seen HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     . "Content-Length: 0\r\n$lines\r\n\r\n");
        my ($seen) = ($r->{body} // '') =~ /^HTTP_EXPECT=(.*)$/m;
        is defined $seen ? "[$seen]" : "$r->{status}, no value", "[$want]",
            "$name: the application gets what core makes";
    }
}
