// Exhaustive check of half_mul against the integer product (tests/rtl_arith.rs): every
// weight and activation of each shape in mul_top.v. Prints one line per shape and exits 1 on
// any mismatch.
#include <cstdint>
#include <cstdio>

#include "Vmul_top.h"

static int64_t sext(uint64_t v, int bits) {
    v &= (1ull << bits) - 1;
    return (v >> (bits - 1)) ? (int64_t)v - (int64_t)(1ull << bits) : (int64_t)v;
}

int main() {
    Vmul_top m;
    struct Shape { const char* name; int wb, xb, xs, p; };
    const Shape shapes[] = {{"8x8u", 8, 8, 0, 17}, {"8x8s", 8, 8, 1, 16},
                            {"5x3s", 5, 3, 1, 8}, {"9x4u", 9, 4, 0, 14}};
    long bad[4] = {0, 0, 0, 0}, n[4] = {0, 0, 0, 0};
    for (uint32_t w = 0; w < 512; w++) {
        for (uint32_t x = 0; x < 256; x++) {
            m.w = w;
            m.x = x;
            m.eval();
            const uint64_t got[4] = {m.y_8x8u, m.y_8x8s, m.y_5x3s, m.y_9x4u};
            for (int k = 0; k < 4; k++) {
                const Shape& s = shapes[k];
                // Each shape sees only its low bits: count each (w, x) pair once.
                if (w >= (1u << s.wb) || x >= (1u << s.xb)) continue;
                int64_t wv = sext(w, s.wb);
                int64_t xv = s.xs ? sext(x, s.xb) : (int64_t)x;
                n[k]++;
                if (sext(got[k], s.p) != wv * xv) {
                    if (bad[k] < 3)
                        printf("%s: w %lld x %lld: got %lld\n", s.name, (long long)wv,
                               (long long)xv, (long long)sext(got[k], s.p));
                    bad[k]++;
                }
            }
        }
    }
    int fail = 0;
    for (int k = 0; k < 4; k++) {
        printf("%s: %ld of %ld products exact\n", shapes[k].name, n[k] - bad[k], n[k]);
        fail |= bad[k] != 0;
    }
    return fail;
}
