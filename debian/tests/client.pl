#!/usr/bin/perl
# The wire checks of debian/tests/installed, against the apache2 it
# started on 127.0.0.1:PORT with the installed module:
#   perl client.pl PORT
# Raw sockets, so the body can be withheld until the server has answered.
# Prints "ok - ..." or "not ok - ..." for each check; exits 1 if any
# failed.  Every wait is bounded (WAIT seconds): the refusal must come
# while the body is still withheld, where stock httpd would wait for it.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my $port = shift or die "usage: client.pl PORT\n";
my $WAIT = 30;
my $failed = 0;

sub ok {
    my ($cond, $name, $diag) = @_;
    if ($cond) {
        print "ok - $name\n";
    } else {
        print "not ok - $name\n";
        if (defined $diag) {
            (my $d = $diag) =~ s/\r//g;
            $d =~ s/^/#   /mg;
            print "$d\n";
        }
        $failed++;
    }
    return $cond;
}

sub connect_server {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => $WAIT);
    $s or die "connect to 127.0.0.1:$port: $!\n";
    return $s;
}

# Read into $$buf until it matches $re.  Returns 'match', 'eof' or
# 'timeout'.
sub read_until {
    my ($sock, $buf, $re) = @_;
    my $sel = IO::Select->new($sock);
    my $end = time + $WAIT;
    while ($$buf !~ $re) {
        my $left = $end - time;
        return 'timeout' if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, my $chunk, 65536);
        return 'eof' if !$n;
        $$buf .= $chunk;
    }
    return 'match';
}

# Take the first response head off $$buf: (status, {lower-case name =>
# value}, head text).
sub take_head {
    my ($buf) = @_;
    $$buf =~ s/\A(.*?)\r\n\r\n//s or return (0, {}, '');
    my $head = $1;
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($status) = $status_line =~ m{^HTTP/1\.\d (\d{3})} or return (0, {}, $head);
    my %h;
    for (@lines) {
        my ($n, $v) = /^([^:]+):\s*(.*)$/ or next;
        $h{lc $n} = exists $h{lc $n} ? "$h{lc $n}, $v" : $v;
    }
    return ($status, \%h, $head);
}

sub post_head {
    my ($path, @expect) = @_;
    my $req = "POST $path HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    $req .= "Expect: $_\r\n" for @expect;
    return $req . "Content-Type: text/plain\r\nContent-Length: 5\r\n";
}

# Met: the interim 100 comes while the body is withheld, then the body
# goes and the final answer echoes it.
sub met {
    my ($name, @expect) = @_;
    my $s = connect_server();
    print $s post_head('/echo', @expect), "Connection: close\r\n\r\n";
    my $buf = '';
    my $r = read_until($s, \$buf, qr/\r\n\r\n/);
    my ($status, $h, $head) = take_head(\$buf);
    ok($r eq 'match' && $status == 100,
       "$name: 100 Continue before the body", "read: $r\n$head")
        or return;
    print $s "hello";
    $r = read_until($s, \$buf, qr/\r\n\r\n.*hello/s);
    my $eof = read_until($s, \$buf, qr/(?!)/);
    ($status, $h, $head) = take_head(\$buf);
    ok($status == 200 && $buf =~ /hello/,
       "$name: then 200 with the body echoed", "read: $r\n$head\n$buf");
    ok(($h->{'x-expect-status'} // '') eq 'met',
       "$name: EXPECT_STATUS is met", $head);
    close $s;
}

# Refused at once: 417 while the body is withheld, Connection: close, and
# the server closes without reading the body.
sub refused {
    my $s = connect_server();
    print $s post_head('/echo', 'x-unknown'), "\r\n";
    my $buf = '';
    my $r = read_until($s, \$buf, qr/\r\n\r\n/);
    my ($status, $h, $head) = take_head(\$buf);
    ok($r eq 'match' && $status == 417,
       "unknown expectation: 417 before the body is sent",
       "read: $r\n$head");
    ok(($h->{connection} // '') =~ /\bclose\b/i,
       "unknown expectation: Connection: close", $head);
    ok(($h->{'x-expect-status'} // '') eq 'rejected',
       "unknown expectation: EXPECT_STATUS is rejected", $head);
    $r = read_until($s, \$buf, qr/(?!)/);
    ok($r eq 'eof', "unknown expectation: the server closes the connection",
       "read: $r");
    close $s;
}

# GET with an expectation that only an .htaccess file allows.
sub get_status {
    my ($path, $expect) = @_;
    my $s = connect_server();
    print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: $expect\r\n"
        . "Connection: close\r\n\r\n";
    my $buf = '';
    my $r = read_until($s, \$buf, qr/\r\n\r\n/);
    my ($status, $h, $head) = take_head(\$buf);
    close $s;
    return ($status, $h->{'x-expect-status'} // '', "read: $r\n$head");
}

met('100-continue', '100-continue');
refused();
met('list of two 100-continue', '100-continue, 100-continue');
met('two Expect: 100-continue lines', '100-continue', '100-continue');

my ($st, $es, $diag) = get_status('/ht/index.html', 'x-ht');
ok($st == 200 && $es eq 'met', 'ExpectAllow x-ht from .htaccess: met', $diag);
($st, $es, $diag) = get_status('/index.html', 'x-ht');
ok($st == 417 && $es eq 'rejected',
   'x-ht outside that .htaccess: 417', $diag);

exit($failed ? 1 : 0);
