/* Hostile Expect values for the linear-cost checks, shared by
 * t/unit/test_linear.c (read counts, allocations) and t/linear/cost.c
 * (instruction counts): each is head, then unit as often as it fits in the
 * length asked for, then tail. */
#ifndef LINEAR_SHAPES_H
#define LINEAR_SHAPES_H

typedef struct {
    const char *what;
    const char *head, *unit, *tail;
    int parses;              /* what ex_parse returns */
    int members;             /* how many members it finds */
} shape;

static const shape shapes[] = {
    { "a long token", "", "a", "", 1, 1 },
    { "a long quoted string", "x=\"", "q", "\"", 1, 1 },
    { "quoted-pairs", "x=\"", "\\\"", "\"", 1, 1 },
    { "an unterminated quoted string", "x=\"", "q", "", 0, 0 },
    { "empty elements", "", ", ", "", 1, 0 },
    { "empty elements and tabs", "", "\t,", "x", 1, 1 },
    { "one OWS run", "a", " ", ",b", 1, 2 },
    { "parameters", "x=y", ";a=b", "", 1, 1 },
    { "parameters with OWS", "x=y", " ; a=\"b\"", "", 1, 1 },
    { "empty parameters", "x=y", ";", "", 1, 1 },
    { "empty parameters with OWS", "x=y", " ; ", "", 1, 1 },
    { "OWS after the parameters", "x=y;a=b", " ", ", z", 1, 2 },
    { "OWS before a bad byte", "x=y", " ", "@", 0, 1 },
};

#define N_SHAPES ((int)(sizeof(shapes) / sizeof(shapes[0])))

#endif /* LINEAR_SHAPES_H */
