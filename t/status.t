# The server-wide counters in mod_status: exact after a known mix of
# requests, spread over several children, exact under concurrent clients,
# and kept across a graceful restart.  The counters are shared by the whole
# test run, so every check compares the counts before and after.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use POSIX ();
use Time::HiRes qw(sleep);
use lib 't/lib';
use ExpectTest;

plan tests => 32;

my @FIXED = qw(ExpectRequests ExpectMet ExpectRejected ExpectIgnored
               ExpectContinue ExpectMalformed ExpectWouldReject);

sub status {
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status?auto', []));
    my $res = read_response($s) or return {};
    my %v = $res->{body} =~ /^(\w[^:\n]*): (\S+)$/mg;
    return \%v;
}

sub delta {
    my ($before, $after, $key) = @_;
    return ($after->{$key} // 0) - ($before->{$key} // 0);
}

# Sum of the per-name deltas for the names given, with what went to
# "other" for names that have no line of their own.
sub name_delta {
    my ($before, $after, @names) = @_;
    my $n = 0;
    $n += delta($before, $after, "ExpectName_$_") for @names;
    return $n;
}

sub send_one {
    my ($path, $expect, %opt) = @_;
    my $s = connect_to();
    send_raw($s, request(POST => $path, ["Expect: $expect", "Content-Length: 0"],
                         %opt));
    my $res = read_response($s);
    return $res ? $res->{status} : 'none';
}

my $before = status();
for my $key (@FIXED, 'ExpectNameOther') {
    ok exists $before->{$key}, "?auto has $key";
}

# The mix: 3 met, 2 refused, 2 lenient with a dropped member each, one
# malformed field refused and one dropped, one HTTP/1.0 100-continue.
my @sent = (
    [ '/up', '100-continue' ], [ '/up', '100-continue' ],
    [ '/ext', 'x-foo, 100-continue' ],
    [ '/up', 'x-foo' ], [ '/none', '100-continue' ],
    [ '/lenient', 'x-foo, 100-continue' ], [ '/lenient', 'x-foo' ],
    [ '/up', 'a b' ], [ '/lenient', 'a b' ],
);
my @status = map { send_one(@$_) } @sent;
push @status, send_one('/none', '100-continue', proto => 'HTTP/1.0');
is "@status", "200 200 200 417 417 200 200 417 200 200",
    'the mix was answered as expected';

my $after = status();
is delta($before, $after, 'ExpectRequests'), 10, 'ExpectRequests: every request';
is delta($before, $after, 'ExpectMet'), 4, 'ExpectMet (HTTP/1.0 100-continue is met)';
is delta($before, $after, 'ExpectRejected'), 3, 'ExpectRejected';
is delta($before, $after, 'ExpectIgnored'), 3, 'ExpectIgnored';
is delta($before, $after, 'ExpectContinue'), 6,
    'ExpectContinue: requests that asked for 100-continue';
is delta($before, $after, 'ExpectMalformed'), 2, 'ExpectMalformed';
is delta($before, $after, 'ExpectWouldReject'), 3,
    'ExpectWouldReject: two members and one malformed field dropped by lenient';
is delta($before, $after, 'ExpectName_100-continue'), 6,
    'ExpectName_100-continue: one per member';
my @seen = grep { /^ExpectName_/ } keys %$after;
is name_delta($before, $after, map { s/^ExpectName_//r } @seen)
   + delta($before, $after, 'ExpectNameOther'), 10,
    'named members and "other" add up to the members sent';
ok !grep({ !/^ExpectName_[!#\$%&'*+.^_`|~0-9a-z-]+$/ } @seen),
    'names are tokens, in lower case';

# The HTML page has the same figures.
{
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status', []));
    my $res = read_response($s);
    like $res && $res->{body}, qr{<h2>mod_expect</h2>}, 'a section in /server-status';
    like $res && $res->{body},
        qr{<td>Requests with an Expect field</td><td>\d+</td>},
        '... with the counts';
}

# Concurrent clients, several children.
{
    my $clients = 4;
    my $each = 25;
    my $pre = status();
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $bad = 0;
            for my $i (1 .. $each) {
                my $want = $i % 5 == 0 ? 417 : 200;
                my $got = send_one('/up', $i % 5 == 0 ? 'x-foo' : '100-continue');
                $bad++ if $got ne $want;
            }
            POSIX::_exit($bad ? 1 : 0);
        }
        push @pids, $pid;
    }
    my $failed = 0;
    for (@pids) {
        waitpid $_, 0;
        $failed++ if $?;
    }
    is $failed, 0, "$clients concurrent clients got the answers they expected";
    my $post = status();
    is delta($pre, $post, 'ExpectRequests'), $clients * $each,
        'concurrent: ExpectRequests equals the requests sent';
    is delta($pre, $post, 'ExpectMet'), $clients * $each * 4 / 5,
        'concurrent: ExpectMet';
    is delta($pre, $post, 'ExpectRejected'), $clients * $each / 5,
        'concurrent: ExpectRejected';
    is delta($pre, $post, 'ExpectName_100-continue'), $clients * $each * 4 / 5,
        'concurrent: ExpectName_100-continue';

    my $log = Apache::Test::vars('t_logs') . '/access_log';
    open my $fh, '<', $log or die "$log: $!";
    my %pids = map { /pid=(\d+)/ ? ($1 => 1) : () }
               grep { m{"POST /up HTTP/1.1"} } <$fh>;
    cmp_ok scalar(keys %pids), '>=', 2,
        'the requests were served by more than one child process';
}

# A graceful restart keeps the counters: the new children inherit them.
{
    my $pre = status();
    my $pidfile = Apache::Test::vars('t_pid_file');
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $parent = <$fh>);
    my $generation = $pre->{ParentServerConfigGeneration} // 0;
    ok kill('USR1', $parent), 'graceful restart';
    my $post = {};
    for (1 .. 100) {
        sleep 0.1;
        $post = status();
        last if ($post->{ParentServerConfigGeneration} // 0) > $generation;
    }
    cmp_ok $post->{ParentServerConfigGeneration} // 0, '>', $generation,
        'a new generation serves';
    is $post->{ExpectRequests}, $pre->{ExpectRequests},
        'ExpectRequests kept across the graceful restart';
    is send_one('/up', '100-continue'), 200, 'and the new children count on';
    is delta($pre, status(), 'ExpectMet'), 1, '... into the same counters';
}
