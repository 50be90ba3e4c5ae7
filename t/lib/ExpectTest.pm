package ExpectTest;

# Raw HTTP/1.x over a socket, for the tests where what matters is on the
# wire: an interim 100 present or absent, a final answer while the client
# still withholds its body, whether the server keeps or closes the
# connection, pipelining.

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Select ();
use IPC::Open2 ();
use JSON::PP ();
use Socket ();
use Time::HiRes qw(time);
use Apache::TestRequest ();
use Test::More ();

our @EXPORT = qw(connect_to send_raw read_response closed_by_server
                 request exchange check send_slowly read_to_eof h2
                 h2_judged_by_core waited counters log_mark wait_log
                 judged
                 connect_tls tls_ca h2_tls);

# is() or like(), by what is wanted.
sub check {
    my ($got, $want, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ref $want eq 'Regexp' ? Test::More::like($got, $want, $name)
                                 : Test::More::is($got, $want, $name);
}

# A socket to the test server (or to one of its virtual hosts).
sub connect_to {
    my $vhost = shift;
    my $sock = Apache::TestRequest::vhost_socket($vhost)
        or die "cannot connect to the test server: $!";
    $sock->autoflush(1);
    binmode $sock;
    ${*$sock}{expect_buf} = '';
    return $sock;
}

sub send_raw {
    my ($sock, $data) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    my $deadline = time + 10;
    while ($off < length $data) {
        my $n = syswrite($sock, $data, length($data) - $off, $off);
        if (!defined $n && would_block($sock) && time < $deadline) {
            IO::Select->new($sock)->can_write($deadline - time);
            next;
        }
        return 0 unless defined $n;
        $off += $n;
    }
    return 1;
}

# Read more bytes into the socket's buffer; 0 on EOF or timeout.
sub fill {
    my ($sock, $deadline) = @_;
    for (;;) {
        my $left = $deadline - time;
        return 0 if $left <= 0;
        return 0 unless can_read($sock, $left);
        my $n = sysread($sock, my $chunk, 65536);
        next if !defined $n && would_block($sock);
        return 0 unless $n;
        ${*$sock}{expect_buf} .= $chunk;
        return 1;
    }
}

# Is there something to read within $timeout seconds?  A TLS socket may
# hold decrypted bytes that select() cannot see.
sub can_read {
    my ($sock, $timeout) = @_;
    return 1 if $sock->isa('IO::Socket::SSL') && $sock->pending;
    return IO::Select->new($sock)->can_read($timeout);
}

# A TLS socket (non-blocking, see connect_tls) that has nothing for the
# caller yet: what it read was TLS's own, such as a TLS 1.3 session
# ticket, or a write must wait for room.  Never true for a plain socket.
sub would_block {
    my $sock = shift;
    return 0 unless $sock->isa('IO::Socket::SSL');
    my $err = $IO::Socket::SSL::SSL_ERROR;
    return 1 if $!{EAGAIN} || $!{EWOULDBLOCK};
    return defined $err && ($err == IO::Socket::SSL::SSL_WANT_READ()
                            || $err == IO::Socket::SSL::SSL_WANT_WRITE());
}

# Read one response, interim or final, within $opt{timeout} seconds
# (default 10: a bound for a loaded machine, not a wait; no test counts on
# its running out).  Returns undef when none arrives, else a hash:
#   status, reason, headers (lower-case name => value, repeated ones
#   joined with ", "), body, head_only.
sub read_response {
    my ($sock, %opt) = @_;
    my $deadline = time + ($opt{timeout} // 10);
    my $buf = \${*$sock}{expect_buf};

    until ($$buf =~ /\r?\n\r?\n/) {
        return undef unless fill($sock, $deadline);
    }
    $$buf =~ s/^(.*?)\r?\n\r?\n//s;
    my ($status_line, @lines) = split /\r?\n/, $1;
    my ($status, $reason) = $status_line =~ m{^HTTP/\d\.\d (\d{3}) ?(.*)$}
        or die "not a status line: $status_line";
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    my $res = { status => $status, reason => $reason, headers => \%h,
                body => '' };
    return $res if $status < 200 || $status == 204 || $status == 304
                   || $opt{head};

    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        for (;;) {
            my ($line, $size);
            until (($line, $size) = $$buf =~ /^(([0-9a-fA-F]+)[^\r\n]*\r\n)/) {
                return undef unless fill($sock, $deadline);
            }
            $size = hex $size;
            my $need = length($line) + $size + 2;
            while (length $$buf < $need) {
                return undef unless fill($sock, $deadline);
            }
            $res->{body} .= substr($$buf, length($line), $size);
            substr($$buf, 0, $need) = '';
            last if $size == 0;
        }
    }
    elsif (defined $h{'content-length'}) {
        while (length $$buf < $h{'content-length'}) {
            return undef unless fill($sock, $deadline);
        }
        $res->{body} = substr($$buf, 0, $h{'content-length'}, '');
    }
    else {
        1 while fill($sock, $deadline);
        $res->{body} = $$buf;
        $$buf = '';
    }
    return $res;
}

# Did the server close the connection (EOF) within $timeout seconds,
# (default 10) without sending anything more?
sub closed_by_server {
    my ($sock, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    my $before = length ${*$sock}{expect_buf};
    while (time < $deadline) {
        return 0 unless can_read($sock, $deadline - time);
        my $n = sysread($sock, my $chunk, 65536);
        return 1 if defined $n && $n == 0;
        next if !defined $n && would_block($sock);
        return 1 if !defined $n;            # reset counts as closed
        ${*$sock}{expect_buf} .= $chunk;
        return 0 if length ${*$sock}{expect_buf} > $before;
    }
    return 0;
}

# What a client that waits for 100-continue sees once its head is sent:
# "interim final EXPECT_STATUS [X-Seen-Expect] body", then "close" if the
# server said so and "eof" if it closed the connection.  The answers must
# come at once; 10 s is only there for a loaded machine (httpd's Timeout,
# where a stall would end, is 60 s).
sub waited {
    my ($s, $body) = @_;
    my $first = read_response($s, timeout => 10);
    return 'none' unless $first;
    my @out;
    my $final = $first;
    if ($first->{status} == 100) {
        send_raw($s, $body);
        $final = read_response($s, timeout => 10)
            or return '100 none';
        push @out, 100;
    }
    my $h = $final->{headers};
    push @out, $final->{status}, $h->{'x-expect-status'} // '-',
               '[' . ($h->{'x-seen-expect'} // '') . ']';
    push @out, $final->{body} if $final->{status} == 200;
    push @out, 'close' if ($h->{connection} // '') =~ /close/i;
    push @out, 'eof' if $final->{status} != 200 && closed_by_server($s, 10);
    return "@out";
}

# mod_expect's lines of /server-status?auto, name => value (empty when the
# server does not answer).
sub counters {
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status?auto', []));
    my $res = read_response($s) or return {};
    return { $res->{body} =~ /^(Expect[\w-]+): (\d+)$/mg };
}

# Where the test server's error log ends now: the mark wait_log() reads
# from.
sub log_mark {
    return -s error_log() // 0;
}

sub error_log {
    return Apache::Test::vars('t_logs') . '/error_log';
}

# Wait until what the error log gained after $mark matches $re, and
# return that text; undef if it has not within $bound seconds (default
# 60, for a loaded machine: a line that comes arrives well before).  For
# a line the server writes after the response was sent, or a positive
# sign that it has got this far with a request (the module's debug
# lines, LogLevel expect:debug).
sub wait_log {
    my ($mark, $re, $bound) = @_;
    my $deadline = time + ($bound // 60);
    for (;;) {
        my $text = '';
        if (open my $fh, '<', error_log()) {
            seek $fh, $mark, 0;
            local $/;
            $text = <$fh> // '';
        }
        return $text if $text =~ $re;
        return undef if time > $deadline;
        select(undef, undef, undef, 0.05);
    }
}

# Has the module judged the request on $s, whose head was sent after
# $mark?  Its debug line for that client says so (the outcome is logged
# before any answer is sent): a positive sign that the head was read and
# every answer the module gives at once is on its way.
sub judged {
    my ($s, $mark, $path) = @_;
    my $port = $s->sockport;
    return defined wait_log($mark,
        qr/\[client 127\.0\.0\.1:$port\] Expect for \Q$path\E: /);
}

# A request head: request("POST", "/up", ["Expect: 100-continue", ...])
sub request {
    my ($method, $path, $headers, %opt) = @_;
    my $proto = $opt{proto} // 'HTTP/1.1';
    my $head = "$method $path $proto\r\nHost: 127.0.0.1\r\n";
    $head .= "$_\r\n" for @$headers;
    return "$head\r\n";
}

# Send a request head, wait up to $opt{wait} seconds (default 10) for the
# interim 100 or the final answer, send the body, read the final
# response.  Returns (interim, final): the interim response or undef, and
# the final one.  When the final response comes before the body was sent,
# the body is not sent at all.
sub exchange {
    my ($sock, $head, $body, %opt) = @_;
    send_raw($sock, $head);
    my $first = read_response($sock, timeout => $opt{wait} // 10);
    return (undef, undef) unless $first;
    return (undef, $first) if $first->{status} >= 200;
    send_raw($sock, $body) if defined $body;
    return ($first, read_response($sock, timeout => $opt{timeout} // 10));
}

# Send $data in pieces, pausing $opt{delay} seconds (default 0.005)
# between them, with Nagle's algorithm off so that each piece leaves as a
# segment of its own.  The pieces end at the offsets in $opt{cuts}, or,
# with $opt{every}, at $opt{offset} (default $opt{every}) and every
# $opt{every} bytes after it.
sub send_slowly {
    my ($sock, $data, %opt) = @_;
    my $delay = $opt{delay} // 0.005;
    my @cuts = @{ $opt{cuts} // [] };
    if ($opt{every}) {
        for (my $p = $opt{offset} || $opt{every}; $p < length $data;
             $p += $opt{every}) {
            push @cuts, $p;
        }
    }
    setsockopt($sock, Socket::IPPROTO_TCP(), Socket::TCP_NODELAY(), 1);
    my $from = 0;
    for my $to ((sort { $a <=> $b } grep { $_ > 0 && $_ < length $data } @cuts),
                length $data) {
        next if $to <= $from;
        return 0 unless send_raw($sock, substr($data, $from, $to - $from));
        $from = $to;
        select(undef, undef, undef, $delay) if $to < length $data;
    }
    return 1;
}

# Everything the server sends until it closes the connection, within
# $timeout seconds (default 10): (bytes, closed), closed true on EOF or
# reset.  Bytes already buffered by read_response come first.
sub read_to_eof {
    my ($sock, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    my $data = ${*$sock}{expect_buf} // '';
    ${*$sock}{expect_buf} = '';
    while (time < $deadline) {
        last unless can_read($sock, $deadline - time);
        my $n = sysread($sock, my $chunk, 65536);
        next if !defined $n && would_block($sock);
        return ($data, 1) unless $n;
        $data .= $chunk;
    }
    return ($data, 0);
}

# Send requests as the streams of one HTTP/2 (h2c) connection with
# t/h2client.py, which withholds DATA until the server answers; the
# responses, in order.  See t/h2client.py for the request and response
# hashes.
sub h2 {
    return run_h2client([Apache::Test::vars('port'), 30], @_);
}

# Does httpd's core judge the Expect field of HTTP/2 requests here?
# mod_http2 before 2.0, bundled with httpd 2.4.49 to 2.4.54, fills the
# headers only after pre_read_request (docs/how-it-works.md).  A skip
# reason that names the release, or undef.
sub h2_judged_by_core {
    my $server = Apache::Test::config()->{server}{version};
    my ($minor, $patch) = $server =~ m{/2\.(\d+)\.(\d+)} or return undef;
    return undef unless $minor == 4 && $patch >= 49 && $patch <= 54;
    return "$server: its mod_http2 (before 2.0) fills the request's headers "
         . "after pre_read_request, so core judges HTTP/2 Expect fields";
}

# The same over TLS, to the TLS virtual host, with h2 chosen by ALPN and
# the server's certificate verified; each response also has "alpn", the
# protocol the server chose.
sub h2_tls {
    return run_h2client([Apache::Test::vars('expect_tls_port'), 30,
                         '--tls', tls_ca()], @_);
}

sub run_h2client {
    my ($args, @reqs) = @_;
    my $pid = IPC::Open2::open2(my $out, my $in, '/usr/bin/python3',
                                't/h2client.py', @$args);
    print $in JSON::PP::encode_json(\@reqs);
    close $in;
    local $/;
    my $json = <$out>;
    waitpid $pid, 0;
    return @{ JSON::PP::decode_json($json || '[]') };
}

# The CA that issued the TLS virtual host's certificate (t/lib/ExpectTLS.pm).
sub tls_ca {
    return Apache::Test::vars('t_conf') . '/tls/ca.pem';
}

# A TLS connection to the TLS virtual host (t/conf/tls.conf.in), offering
# the ALPN protocols in $opt{alpn} (default: http/1.1).  The server's
# certificate is verified against tls_ca() for 127.0.0.1, as a browser
# would check it.  The socket is left non-blocking, so that no read waits
# past its deadline for application data behind a session ticket; every
# helper above works on it as on a plain socket.  $sock->alpn_selected
# tells the protocol the server chose.
sub connect_tls {
    my %opt = @_;
    require IO::Socket::SSL;
    my $sock = Apache::TestRequest::vhost_socket('expect_tls')
        or die "cannot connect to the TLS virtual host: $!";
    IO::Socket::SSL->start_SSL($sock,
        SSL_alpn_protocols  => $opt{alpn} // ['http/1.1'],
        SSL_verify_mode     => IO::Socket::SSL::SSL_VERIFY_PEER(),
        SSL_ca_file         => tls_ca(),
        SSL_verifycn_scheme => 'http',
        SSL_verifycn_name   => '127.0.0.1',
        Timeout             => 10)
        or die "TLS handshake with the test server failed: "
             . "$IO::Socket::SSL::SSL_ERROR";
    $sock->blocking(0);
    $sock->autoflush(1);
    ${*$sock}{expect_buf} = '';
    return $sock;
}

1;
