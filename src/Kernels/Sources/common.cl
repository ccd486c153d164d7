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
