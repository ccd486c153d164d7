/* Batched C[b] = op(A[b]) * op(B[b]), row-major, float with float accumulation.
   TILE x TILE work-groups; x runs over columns of C, y over (batch, row tile). TRANS_A / TRANS_B
   select the stored layouts (A stored K x M, B stored N x K). */
#ifndef TILE
#define TILE 16
#endif
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

KERNEL void batched_matmul_f32(GLOBAL const float* A, GLOBAL const float* B, GLOBAL float* C, int M, int N, int K, int tilesM)
{
    LOCAL float As[TILE][TILE + 1];
    LOCAL float Bs[TILE][TILE + 1];
    int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    i64 gy = GROUP_ID(1);
    i64 batch = gy / tilesM;
    int row = (int)(gy % tilesM) * TILE + ty;
    int col = (int)GROUP_ID(0) * TILE + tx;
    GLOBAL const float* a = A + batch * (i64)M * K;
    GLOBAL const float* b = B + batch * (i64)K * N;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE)
    {
        int ka = k0 + tx; /* column of op(A) loaded by this item */
        int kb = k0 + ty; /* row of op(B) loaded by this item */
#if TRANS_A
        As[ty][tx] = (row < M && ka < K) ? a[(i64)ka * M + row] : 0.0f;
#else
        As[ty][tx] = (row < M && ka < K) ? a[(i64)row * K + ka] : 0.0f;
#endif
#if TRANS_B
        Bs[ty][tx] = (kb < K && col < N) ? b[(i64)col * K + kb] : 0.0f;
#else
        Bs[ty][tx] = (kb < K && col < N) ? b[(i64)kb * N + col] : 0.0f;
#endif
        BARRIER();
        int kmax = K - k0 < TILE ? K - k0 : TILE;
        for (int k = 0; k < kmax; ++k) acc += As[ty][k] * Bs[k][tx];
        BARRIER();
    }
    if (row < M && col < N) C[batch * (i64)M * N + (i64)row * N + col] = acc;
}
