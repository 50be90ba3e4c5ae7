/* The layout of the shared counters on the architecture this is built for
 * (t/cross/run.py builds it for each, runs it under qemu, and compares).
 *
 * Prints "off8.FIELD N" for offsets that must be multiples of 8, so that
 * every 64-bit counter is 8-byte aligned (a 64-bit atomic on a misaligned
 * address is SIGBUS on arm, a split lock on x86), and "size.TYPE N",
 * "align.TYPE N": the same on every ABI once each counter is.  Slots 0
 * and 1 of names[] stand for them all: a misaligned start or an odd
 * stride shows in one of the two.  The header that defines ex_counters
 * comes with -include. */
#include <stddef.h>
#include <stdio.h>

#define OFF8(f) printf("off8.%s %lu\n", #f, \
                       (unsigned long)offsetof(ex_counters, f))

int main(void)
{
    /* Every field before unjudged_told is a counter (expect_counters.h):
     * they are 8-byte aligned when it is, and each struct among them has
     * a size that is a multiple of 8 (ex_continue_counts, below). */
    OFF8(unjudged_told);
    OFF8(names);
    OFF8(names[0].count);
    OFF8(names[1].count);
    printf("size.ex_name_slot %lu\n", (unsigned long)sizeof(ex_name_slot));
    printf("size.ex_continue_counts %lu\n",
           (unsigned long)sizeof(ex_continue_counts));
    printf("size.ex_counters %lu\n", (unsigned long)sizeof(ex_counters));
    printf("align.ex_counters %lu\n",
           (unsigned long)__alignof__(ex_counters));
    return 0;
}
