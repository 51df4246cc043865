// Exhaustive check of half_const_mul against the integer product wrapped to its width
// (tests/rtl_arith.rs): every 12-bit signed input for each instance of const_top.v. Prints one
// line per constant and exits 1 on any mismatch.
#include <cstdint>
#include <cstdio>

#include "Vconst_top.h"

static int64_t sext(uint64_t v, int bits) {
    v &= (bits == 64) ? ~0ull : (1ull << bits) - 1;
    return (v >> (bits - 1)) & 1 ? (int64_t)(v - (1ull << bits)) : (int64_t)v;
}

int main() {
    Vconst_top m;
    struct Case { const char* name; int64_t c; int yw; };
    const Case cases[] = {{"181", 181, 21},       {"181/14", 181, 14},
                          {"237", 237, 21},       {"163", 163, 21},
                          {"-77", -77, 20},       {"255", 255, 21},
                          {"1", 1, 12},           {"64", 64, 19},
                          {"0", 0, 12},           {"2^31-1", 2147483647ll, 44},
                          {"-2^31", -2147483648ll, 44}, {"0x55555555", 1431655765ll, 44}};
    const int n = sizeof(cases) / sizeof(cases[0]);
    long bad[n] = {0};
    for (uint32_t a = 0; a < 4096; a++) {
        m.a = a;
        m.eval();
        const uint64_t got[n] = {m.y181, m.y181_cut, m.y237, m.y163, m.yneg77, m.y255,
                                 m.y1,   m.y64,      m.y0,   m.ymax, m.ymin,  m.y0x55};
        const int64_t av = sext(a, 12);
        for (int k = 0; k < n; k++) {
            const int64_t want = sext((uint64_t)(av * cases[k].c), cases[k].yw);
            if (sext(got[k], cases[k].yw) != want) {
                if (bad[k] < 3)
                    printf("%s: a %lld: got %lld, want %lld\n", cases[k].name, (long long)av,
                           (long long)sext(got[k], cases[k].yw), (long long)want);
                bad[k]++;
            }
        }
    }
    int fail = 0;
    for (int k = 0; k < n; k++) {
        printf("x%s: %ld of 4096 products exact\n", cases[k].name, 4096 - bad[k]);
        fail |= bad[k] != 0;
    }
    return fail;
}
