/* Shared device functions: the Philox4x32-10 counter-based generator (Salmon et al., SC'11),
   bit-identical to FastAD.Kernels.Random.Philox4x32 in managed code. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

DEVFN void philox4x32_10(u32 c0, u32 c1, u32 c2, u32 c3, u32 k0, u32 k1, u32* out)
{
    for (int r = 0; r < 10; ++r)
    {
        if (r > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        u64 p0 = (u64)PHILOX_M0 * (u64)c0;
        u64 p1 = (u64)PHILOX_M1 * (u64)c2;
        u32 n0 = (u32)(p1 >> 32) ^ c1 ^ k0;
        u32 n2 = (u32)(p0 >> 32) ^ c3 ^ k1;
        c1 = (u32)p1;
        c3 = (u32)p0;
        c0 = n0;
        c2 = n2;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Block `block` of stream `stream` under key `seed`: counter = (block, stream), key = seed. */
DEVFN void philox_block(u64 seed, u64 stream, u64 block, u32* out)
{
    philox4x32_10((u32)block, (u32)(block >> 32), (u32)stream, (u32)(stream >> 32), (u32)seed, (u32)(seed >> 32), out);
}

/* [0, 1) from the top 24 bits. */
DEVFN float philox_u01_f32(u32 x) { return (float)(x >> 8) * 5.9604644775390625e-8f; }
/* (0, 1], for logarithms. */
DEVFN double philox_u01_open_f64_24(u32 x) { return ((double)(x >> 8) + 1.0) * 5.9604644775390625e-8; }
/* [0, 1) from 53 bits of two words. */
DEVFN double philox_u01_f64(u32 hi, u32 lo) { return (double)(((u64)hi << 21) | (u64)(lo >> 11)) * 1.1102230246251565e-16; }
/* (0, 1] from 53 bits of two words. */
DEVFN double philox_u01_open_f64(u32 hi, u32 lo) { return ((double)(((u64)hi << 21) | (u64)(lo >> 11)) + 1.0) * 1.1102230246251565e-16; }

#define FASTAD_TWO_PI 6.283185307179586

/* Standard normal double number j of Philox stream (seed, stream): Philox4x32.FillNormal(double[]) element j. */
DEVFN double philox_normal_f64_at(u64 seed, u64 stream, i64 j)
{
    u32 w[4];
    philox_block(seed, stream, (u64)(j >> 1), w);
    double r = sqrt(-2.0 * log(philox_u01_open_f64(w[0], w[1])));
    double t = FASTAD_TWO_PI * philox_u01_f64(w[2], w[3]);
    return (j & 1) == 0 ? r * cos(t) : r * sin(t);
}

/* ln Gamma(x), x >= 1: Lanczos (g = 7, n = 9), the same formula as PhiloxPoisson.LogGamma. */
DEVFN double fastad_lgamma(double x)
{
    double z = x - 1.0;
    double sum = 0.99999999999980993
        + 676.5203681218851 / (z + 1) - 1259.1392167224028 / (z + 2) + 771.32342877765313 / (z + 3)
        - 176.61502916214059 / (z + 4) + 12.507343278686905 / (z + 5) - 0.13857109526572012 / (z + 6)
        + 9.9843695780195716e-6 / (z + 7) + 1.5056327351493116e-7 / (z + 8);
    double t = z + 7.5;
    return 0.91893853320467274178 + (z + 0.5) * log(t) - t + log(sum);
}

/* Sequential uniform doubles of one Philox stream: draw j is uniform double j of the stream. */
typedef struct { u64 seed, stream, position; u32 w[4]; } philox_stream;

DEVFN double philox_next_u01(philox_stream* s)
{
    if ((s->position & 1) == 0) philox_block(s->seed, s->stream, s->position >> 1, s->w);
    double u = (s->position & 1) == 0 ? philox_u01_f64(s->w[0], s->w[1]) : philox_u01_f64(s->w[2], s->w[3]);
    s->position++;
    return u;
}

/* Poisson(mean) from stream (seed, stream): Knuth below 10, PTRS above (PhiloxPoisson.Sample). */
DEVFN int philox_poisson(double mean, u64 seed, u64 stream)
{
    if (!(mean > 0)) return 0;
    philox_stream s;
    s.seed = seed; s.stream = stream; s.position = 0;
    if (mean < 10)
    {
        double limit = exp(-mean), p = philox_next_u01(&s);
        int k = 0;
        while (p > limit) { k++; p *= philox_next_u01(&s); }
        return k;
    }
    double slam = sqrt(mean), loglam = log(mean);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double logInvAlpha = log(1.1239 + 1.1328 / (b - 3.4)), vr = 0.9277 - 3.6224 / (b - 2);
    while (1)
    {
        double u = philox_next_u01(&s) - 0.5, v = philox_next_u01(&s);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr) return (int)k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + logInvAlpha - log(a / (us * us) + b) <= -mean + k * loglam - fastad_lgamma(k + 1))
            return (int)k;
    }
}
