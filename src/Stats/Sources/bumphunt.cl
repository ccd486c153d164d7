/* Bump-hunt profile-likelihood fits, one work-item per spectrum, double precision.
   A line-by-line mirror of FastAD.Stats.NewtonFitCore and ManagedProfileFitter.FitRow (the reference):
   minimise F(phi) = sum_r (lambda_r - n_r ln lambda_r) / k_r, lambda = A phi, with lambda_r >= 0 held as an
   active constraint for empty rows. P = parameters, ROWS = sideband bins + 1 (the SR row is last). */
#ifndef P
#error P must be defined
#endif
#ifndef ROWS
#error ROWS must be defined
#endif
#define SB (ROWS - 1)
#define MAXK (2 * P)
#define PACKED (P * (P + 1) / 2)
#define MAX_ITER 200
#define DEC_TOL 1e-13

#define STATUS_CONVERGED 0
#define STATUS_MAXITER 1
#define STATUS_STALLED 2
#define STATUS_EMPTY 3

DEVFN double objective(const double* lambda, const double* n, const double* k, int rows)
{
    double f = 0.0;
    for (int r = 0; r < rows; ++r)
        f += n[r] > 0 ? (lambda[r] - n[r] * log(lambda[r])) / k[r] : lambda[r] / k[r];
    return f;
}

DEVFN void multiply(GLOBAL const double* a, int rows, const double* x, double* y)
{
    for (int r = 0; r < rows; ++r)
    {
        double v = 0.0;
        for (int j = 0; j < P; ++j) v += a[r * P + j] * x[j];
        y[r] = v;
    }
}

DEVFN int feasible(GLOBAL const double* a, int rows, const double* n, const double* phi, double* lambda)
{
    multiply(a, rows, phi, lambda);
    for (int r = 0; r < rows; ++r)
        if (n[r] > 0 ? !(lambda[r] > 0) : !(lambda[r] >= 0)) return 0;
    return 1;
}

DEVFN int solve(double* m, double* b, int size)
{
    for (int c = 0; c < size; ++c)
    {
        int best = c;
        double bestAbs = fabs(m[c * size + c]);
        for (int r = c + 1; r < size; ++r)
        {
            double v = fabs(m[r * size + c]);
            if (v > bestAbs) { bestAbs = v; best = r; }
        }
        if (!(bestAbs > 0)) return 0;
        if (best != c)
        {
            for (int j = 0; j < size; ++j) { double t = m[c * size + j]; m[c * size + j] = m[best * size + j]; m[best * size + j] = t; }
            double t = b[c]; b[c] = b[best]; b[best] = t;
        }
        double inv = 1.0 / m[c * size + c];
        for (int r = c + 1; r < size; ++r)
        {
            double factor = m[r * size + c] * inv;
            if (factor == 0) continue;
            for (int j = c; j < size; ++j) m[r * size + j] -= factor * m[c * size + j];
            b[r] -= factor * b[c];
        }
    }
    for (int r = size - 1; r >= 0; --r)
    {
        double v = b[r];
        for (int j = r + 1; j < size; ++j) v -= m[r * size + j] * b[j];
        b[r] = v / m[r * size + r];
    }
    return 1;
}

DEVFN int minimise(GLOBAL const double* a, GLOBAL const double* outer, int rows, const double* n, const double* k, double* phi, double* objectiveOut, int* iterationsOut)
{
    double lambda[ROWS], ad[ROWS], trial[ROWS];
    double g[P], d[P], phiTrial[P], rhs[MAXK], kkt[MAXK * MAXK];
    int active[P];
    int na = 0;
    multiply(a, rows, phi, lambda);
    double scale = 0.0;
    for (int r = 0; r < rows; ++r) scale = fmax(scale, fabs(lambda[r]));
    for (int r = 0; r < rows && na < P - 1; ++r)
        if (n[r] == 0 && lambda[r] <= 1e-12 * scale) active[na++] = r;
    double f = objective(lambda, n, k, rows);
    int status = STATUS_MAXITER;
    int it;
    for (it = 0; it < MAX_ITER; ++it)
    {
        int m = P + na;
        double hp[PACKED];
        for (int i = 0; i < P; ++i) g[i] = 0.0;
        for (int t = 0; t < PACKED; ++t) hp[t] = 0.0;
        for (int r = 0; r < rows; ++r)
        {
            double lr = lambda[r], ir = 1.0 / k[r];
            if (n[r] > 0)
            {
                double gr = (1.0 - n[r] / lr) * ir, hr = n[r] * ir / (lr * lr);
                for (int i = 0; i < P; ++i) g[i] += a[r * P + i] * gr;
                for (int t = 0; t < PACKED; ++t) hp[t] += outer[r * PACKED + t] * hr;
            }
            else for (int i = 0; i < P; ++i) g[i] += a[r * P + i] * ir;
        }
        for (int i = 0; i < m * m; ++i) kkt[i] = 0.0;
        double maxDiag = 0.0;
        for (int i = 0, t = 0; i < P; ++i)
            for (int j = i; j < P; ++j, ++t)
            {
                kkt[i * m + j] = hp[t];
                kkt[j * m + i] = hp[t];
                if (i == j) maxDiag = fmax(maxDiag, hp[t]);
            }
        double ridge = 1e-12 * (maxDiag > 0 ? maxDiag : 1.0);
        for (int i = 0; i < P; ++i) kkt[i * m + i] += ridge;
        for (int c = 0; c < na; ++c)
            for (int j = 0; j < P; ++j)
            {
                double v = a[active[c] * P + j];
                kkt[(P + c) * m + j] = v;
                kkt[j * m + P + c] = -v;
            }
        for (int i = 0; i < P; ++i) rhs[i] = -g[i];
        for (int c = 0; c < na; ++c) rhs[P + c] = 0.0;
        if (!solve(kkt, rhs, m)) { status = STATUS_STALLED; break; }
        for (int i = 0; i < P; ++i) d[i] = rhs[i];
        double slope = 0.0;
        for (int i = 0; i < P; ++i) slope += g[i] * d[i];
        double decrement = -slope;
        if (decrement <= DEC_TOL * (1 + fabs(f)))
        {
            int drop = -1;
            double worst = -1e-9;
            for (int c = 0; c < na; ++c)
                if (rhs[P + c] < worst) { worst = rhs[P + c]; drop = c; }
            if (drop < 0) { status = STATUS_CONVERGED; break; }
            active[drop] = active[--na];
            continue;
        }
        multiply(a, rows, d, ad);
        double tMax = INFINITY;
        int blocking = -1;
        for (int r = 0; r < rows; ++r)
        {
            if (ad[r] >= 0) continue;
            int isActive = 0;
            for (int c = 0; c < na; ++c) isActive |= active[c] == r;
            if (isActive) continue;
            double cap = n[r] > 0 ? 0.995 * lambda[r] / -ad[r] : fmax(lambda[r], 0.0) / -ad[r];
            if (cap < tMax) { tMax = cap; blocking = n[r] > 0 ? -1 : r; }
        }
        double t = fmin(1.0, tMax);
        if (t < 1.0 && t == tMax && blocking >= 0 && t <= 0)
        {
            if (na < P - 1) active[na++] = blocking;
            else { status = STATUS_STALLED; break; }
            continue;
        }
        if (t < tMax) blocking = -1;
        double fTrial;
        while (1)
        {
            for (int i = 0; i < P; ++i) phiTrial[i] = phi[i] + t * d[i];
            for (int r = 0; r < rows; ++r) trial[r] = lambda[r] + t * ad[r];
            if (blocking >= 0) trial[blocking] = 0.0;
            fTrial = objective(trial, n, k, rows);
            if (fTrial <= f + 1e-4 * t * slope) break;
            if (blocking >= 0 && t * decrement <= 1e-12 * (1 + fabs(f))) { fTrial = f + t * slope; break; }
            t *= 0.5;
            blocking = -1;
            if (t < 1e-14) break;
        }
        if (!(fTrial <= f + 1e-4 * t * slope))
        {
            status = decrement <= 1e-8 * (1 + fabs(f)) ? STATUS_CONVERGED : STATUS_STALLED;
            break;
        }
        for (int i = 0; i < P; ++i) phi[i] = phiTrial[i];
        for (int r = 0; r < rows; ++r) lambda[r] = trial[r];
        if (blocking >= 0 && na < P - 1) active[na++] = blocking;
        f = fTrial;
        if (t == 1.0 && blocking < 0 && decrement * decrement <= DEC_TOL * (1 + fabs(f)))
        {
            int released = 0;
            for (int c = 0; c < na; ++c) released |= rhs[P + c] < -1e-9;
            if (!released) { ++it; status = STATUS_CONVERGED; break; }
        }
    }
    *objectiveOut = f;
    *iterationsOut = it;
    return status;
}

/* Both fits of one spectrum held in private n[], k[]; writes phiHat, phiHatHat, the objectives and the status. */
DEVFN void fit_spectrum(GLOBAL const double* a, GLOBAL const double* outer, const double* n, const double* k, GLOBAL const double* start, int useStart,
                        double* phiHat, double* phiHatHat, double* fSb, double* fNull, int* status, int* iterations)
{
    double work[ROWS];
    double total = 0.0;
    for (int r = 0; r < ROWS; ++r) total += n[r];
    for (int j = 0; j < P; ++j) { phiHat[j] = 0.0; phiHatHat[j] = 0.0; }
    *fSb = 0.0; *fNull = 0.0; *iterations = 0;
    if (!(total > 0)) { *status = STATUS_EMPTY; return; }
    double flat = total / (SB + a[SB * P]);
    if (useStart) for (int j = 0; j < P; ++j) phiHat[j] = start[j];
    if (!useStart || !feasible(a, SB, n, phiHat, work))
    {
        for (int j = 0; j < P; ++j) phiHat[j] = 0.0;
        phiHat[0] = flat;
    }
    int it1, it2;
    int s1 = minimise(a, outer, SB, n, k, phiHat, fSb, &it1);
    for (int j = 0; j < P; ++j) phiHatHat[j] = phiHat[j];
    if (!feasible(a, ROWS, n, phiHatHat, work))
    {
        for (int j = 0; j < P; ++j) phiHatHat[j] = 0.0;
        phiHatHat[0] = flat;
    }
    int s2 = minimise(a, outer, ROWS, n, k, phiHatHat, fNull, &it2);
    *status = s1 > s2 ? s1 : s2;
    *iterations = it1 + it2;
}

KERNEL void fit_spectra(GLOBAL const double* design, GLOBAL const double* outer, GLOBAL const double* counts, GLOBAL const double* scales,
                        GLOBAL const double* start, int useStart, int count,
                        GLOBAL double* phiHatOut, GLOBAL double* phiHatHatOut, GLOBAL double* fOut, GLOBAL int* statusOut)
{
    i64 row = GLOBAL_ID(0);
    if (row >= count) return;
    double n[ROWS], k[ROWS], phiHat[P], phiHatHat[P];
    for (int r = 0; r < ROWS; ++r) { n[r] = counts[row * ROWS + r]; k[r] = scales[row * ROWS + r]; }
    double fSb, fNull;
    int status, iterations;
    fit_spectrum(design, outer, n, k, start, useStart, phiHat, phiHatHat, &fSb, &fNull, &status, &iterations);
    for (int j = 0; j < P; ++j) { phiHatOut[row * P + j] = phiHat[j]; phiHatHatOut[row * P + j] = phiHatHat[j]; }
    fOut[2 * row] = fSb;
    fOut[2 * row + 1] = fNull;
    statusOut[2 * row] = status;
    statusOut[2 * row + 1] = iterations;
}

/* BumpHuntResults.Q0FromObjectives. */
DEVFN double q0_from_objectives(double fSb, double fNull, double nSr, double kSr, double b)
{
    double lambda1 = fmax(nSr, b);
    double srTerm1 = nSr > 0 ? (lambda1 - nSr * log(lambda1)) / kSr : lambda1 / kSr;
    double q0 = 2.0 * (fNull - (fSb + srTerm1));
    return (nSr - b < 0 || !(q0 > 0)) ? 0.0 : q0;
}

/* Toys: counts of toy t, row r ~ Poisson(mu[r]) from Philox stream t * ROWS + r, then both fits from `start`.
   Writes q0, S = N_SR - B(theta_hat) and the status per toy. */
KERNEL void fit_toys(GLOBAL const double* design, GLOBAL const double* outer, GLOBAL const double* mu, u64 seed, i64 firstToy, int count,
                     GLOBAL const double* start, GLOBAL double* q0Out, GLOBAL double* sOut, GLOBAL int* statusOut)
{
    i64 i = GLOBAL_ID(0);
    if (i >= count) return;
    u64 toy = (u64)(firstToy + i);
    double n[ROWS], k[ROWS], phiHat[P], phiHatHat[P];
    for (int r = 0; r < ROWS; ++r)
    {
        n[r] = (double)philox_poisson(mu[r], seed, toy * ROWS + r);
        k[r] = 1.0;
    }
    double fSb, fNull;
    int status, iterations;
    fit_spectrum(design, outer, n, k, start, 1, phiHat, phiHatHat, &fSb, &fNull, &status, &iterations);
    double b = 0.0;
    for (int j = 0; j < P; ++j) b += design[SB * P + j] * phiHat[j];
    q0Out[i] = status == STATUS_EMPTY ? 0.0 : q0_from_objectives(fSb, fNull, n[SB], 1.0, b);
    sOut[i] = n[SB] - b;
    statusOut[i] = status;
}
