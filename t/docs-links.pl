#!/usr/bin/perl
# Every relative link in README.md, docs/*.md and bench/RESULTS.md names a
# file that exists, and its #fragment a heading of that file as GitHub
# turns headings into anchors: lower case, punctuation but '-' and '_'
# removed, each space a '-'; a repeated heading gets -1, -2, ...  And
# README.md links every docs/*.md.
# Usage: perl t/docs-links.pl [file.md ...]   (run from the top of the tree)
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;

my @files = @ARGV ? @ARGV
                  : grep { -f } ('README.md', glob('docs/*.md'), 'bench/RESULTS.md');

sub slug {
    my ($h) = @_;
    $h =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;    # a link in a heading: its text
    $h = lc $h;
    $h =~ s/[^\w\- ]//g;                   # \w keeps letters, digits, '_'
    $h =~ s/ /-/g;
    return $h;
}

# The anchors of a file: its headings, outside fenced code.
my %anchors;
sub anchors {
    my ($path) = @_;
    return $anchors{$path} if $anchors{$path};
    my (%a, %seen);
    open my $fh, '<', $path or die "$path: $!\n";
    my $fence = 0;
    while (<$fh>) {
        if (/^\s*```/) { $fence = !$fence; next }
        next if $fence || !/^#{1,6}\s+(.*?)\s*#*\s*$/;
        my $s = slug($1);
        my $n = $seen{$s}++;
        $a{$n ? "$s-$n" : $s} = 1;
    }
    return $anchors{$path} = \%a;
}

my ($links, @bad, %linked) = (0);
for my $file (@files) {
    open my $fh, '<', $file or die "$file: $!\n";
    my $fence = 0;
    while (my $line = <$fh>) {
        if ($line =~ /^\s*```/) { $fence = !$fence; next }
        next if $fence;
        (my $text = $line) =~ s/`[^`]*`//g;    # code spans hold no links
        # A link may wrap: join the next line when a '[' is left open.
        while ($text =~ /\[[^\]]*$/ && !eof $fh) {
            my $next = <$fh>;
            $next =~ s/`[^`]*`//g;
            $text .= $next;
        }
        while ($text =~ /\]\(\s*([^)\s]+)\s*\)/g) {
            my $target = $1;
            next if $target =~ m{^[a-z][a-z0-9+.-]*:}i;    # http:, mailto:
            $links++;
            my ($path, $frag) = split /#/, $target, 2;
            my $dest = $path eq ''
                ? $file
                : File::Spec->catfile(dirname($file), $path);
            $linked{File::Spec->canonpath($dest)} = 1 if $file eq 'README.md';
            if (!-e $dest) {
                push @bad, "$file:$.: $target: no file $dest";
                next;
            }
            next unless defined $frag && $frag ne '';
            if (-d $dest || !anchors($dest)->{$frag}) {
                push @bad, "$file:$.: $target: no heading '#$frag' in $dest";
            }
        }
    }
    close $fh;
}

# The README is the way in: it links every page of the manual.
if (!@ARGV) {
    push @bad, "README.md: no link to $_"
        for grep { !$linked{$_} } glob('docs/*.md');
}

print "$_\n" for @bad;
printf "docs-links: %d link(s) in %d file(s), %d broken\n",
    $links, scalar @files, scalar @bad;
exit(@bad ? 1 : 0);
