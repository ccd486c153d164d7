/* Bump-hunt profile-likelihood fits, one work-item per spectrum, double precision.
   A line-by-line mirror of FastAD.Stats.NewtonFitCore and ManagedProfileFitter.FitSpectrum (the reference):
   minimise F(phi) = sum_r (lambda_r - n_r ln lambda_r) / k_r, lambda = A phi, with lambda_r >= 0 for empty
   rows kept by a logarithmic barrier. P = parameters, ROWS = sideband bins + 1 (the SR row is last). */
#ifndef P
#error P must be defined
#endif
#ifndef ROWS
#error ROWS must be defined
#endif
#define SB (ROWS - 1)
#define PACKED (P * (P + 1) / 2)
#define MAX_ITER 400
#define DEC_TOL 1e-13
#define FIRST_BARRIER 1e-2
#define LAST_BARRIER 1e-12

#define STATUS_CONVERGED 0
#define STATUS_MAXITER 1
#define STATUS_STALLED 2
#define STATUS_EMPTY 3

/* F with the true counts: empty rows contribute lambda / k. */
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

DEVFN int feasible(GLOBAL const double* a, int rows, const double* phi, double* lambda)
{
    multiply(a, rows, phi, lambda);
    for (int r = 0; r < rows; ++r)
        if (!(lambda[r] > 0)) return 0;
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

/* NewtonFitCore.Newton: Newton with an Armijo line search on sum (lambda - nt ln lambda)/k, every nt > 0. */
DEVFN int newton(GLOBAL const double* a, GLOBAL const double* outer, int rows, const double* nt, const double* k,
                 double* phi, double* lambda, int* iterations)
{
    double ad[ROWS], trial[ROWS];
    double g[P], d[P], phiTrial[P], h[P * P], hp[PACKED];
    double f = objective(lambda, nt, k, rows);
    for (; *iterations < MAX_ITER; ++*iterations)
    {
        for (int i = 0; i < P; ++i) g[i] = 0.0;
        for (int u = 0; u < PACKED; ++u) hp[u] = 0.0;
        for (int r = 0; r < rows; ++r)
        {
            double lr = lambda[r], ir = 1.0 / k[r];
            double gr = (1.0 - nt[r] / lr) * ir, hr = nt[r] * ir / (lr * lr);
            for (int i = 0; i < P; ++i) g[i] += a[r * P + i] * gr;
            for (int u = 0; u < PACKED; ++u) hp[u] += outer[r * PACKED + u] * hr;
        }
        double maxDiag = 0.0;
        for (int i = 0, u = 0; i < P; ++i)
            for (int j = i; j < P; ++j, ++u)
            {
                h[i * P + j] = hp[u];
                h[j * P + i] = hp[u];
                if (i == j) maxDiag = fmax(maxDiag, hp[u]);
            }
        double ridge = 1e-12 * (maxDiag > 0 ? maxDiag : 1.0);
        for (int i = 0; i < P; ++i) { h[i * P + i] += ridge; d[i] = -g[i]; }
        if (!solve(h, d, P)) return STATUS_STALLED;
        double slope = 0.0;
        for (int i = 0; i < P; ++i) slope += g[i] * d[i];
        double decrement = -slope;
        if (decrement <= DEC_TOL * (1 + fabs(f))) return STATUS_CONVERGED;
        multiply(a, rows, d, ad);
        double t = 1.0;
        for (int r = 0; r < rows; ++r)
            if (ad[r] < 0) t = fmin(t, 0.995 * lambda[r] / -ad[r]);
        double fTrial;
        while (1)
        {
            for (int i = 0; i < P; ++i) phiTrial[i] = phi[i] + t * d[i];
            for (int r = 0; r < rows; ++r) trial[r] = lambda[r] + t * ad[r];
            fTrial = objective(trial, nt, k, rows);
            if (fTrial <= f + 1e-4 * t * slope) break;
            t *= 0.5;
            if (t < 1e-14) break;
        }
        if (!(fTrial <= f + 1e-4 * t * slope))
            return decrement <= 1e-8 * (1 + fabs(f)) ? STATUS_CONVERGED : STATUS_STALLED;
        for (int i = 0; i < P; ++i) phi[i] = phiTrial[i];
        for (int r = 0; r < rows; ++r) lambda[r] = trial[r];
        f = fTrial;
        if (t == 1.0 && decrement * decrement <= DEC_TOL * (1 + fabs(f)))
        {
            ++*iterations;
            return STATUS_CONVERGED;
        }
    }
    return STATUS_MAXITER;
}

/* NewtonFitCore.Minimise: barrier stages mu = 1e-2 .. 1e-12 for empty rows (pseudo-count mu), one stage without. */
DEVFN int minimise(GLOBAL const double* a, GLOBAL const double* outer, int rows, const double* n, const double* k,
                   double* phi, double* objectiveOut, int* iterationsOut)
{
    double lambda[ROWS], nt[ROWS];
    int empty = 0;
    for (int r = 0; r < rows; ++r) if (!(n[r] > 0)) empty++;
    double mu = empty > 0 ? FIRST_BARRIER : 0.0;
    multiply(a, rows, phi, lambda);
    int status = STATUS_MAXITER;
    int iterations = 0;
    while (1)
    {
        for (int r = 0; r < rows; ++r) nt[r] = n[r] > 0 ? n[r] : mu;
        status = newton(a, outer, rows, nt, k, phi, lambda, &iterations);
        if (status != STATUS_CONVERGED || mu <= LAST_BARRIER) break;
        mu *= 0.1;
    }
    *objectiveOut = objective(lambda, n, k, rows);
    *iterationsOut = iterations;
    return status;
}

/* Both fits of one spectrum held in private n[], k[]; writes phiHat, phiHatHat, the objectives and the status. */
DEVFN void fit_spectrum(GLOBAL const double* a, GLOBAL const double* outer, const double* n, const double* k, GLOBAL const double* start, int useStart, int q0Only,
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
    if (!useStart || !feasible(a, SB, phiHat, work))
    {
        for (int j = 0; j < P; ++j) phiHat[j] = 0.0;
        phiHat[0] = flat;
    }
    int it1, it2;
    int s1 = minimise(a, outer, SB, n, k, phiHat, fSb, &it1);
    if (q0Only)
    {
        double b = 0.0;
        for (int j = 0; j < P; ++j) b += a[SB * P + j] * phiHat[j];
        if (n[SB] - b < 0) { *fNull = 0.0; *status = s1; *iterations = it1; return; } /* q0 = 0: the null fit is not needed */
    }
    for (int j = 0; j < P; ++j) phiHatHat[j] = phiHat[j];
    if (!feasible(a, ROWS, phiHatHat, work))
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
    fit_spectrum(design, outer, n, k, start, useStart, 0, phiHat, phiHatHat, &fSb, &fNull, &status, &iterations);
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
    fit_spectrum(design, outer, n, k, start, 1, 1, phiHat, phiHatHat, &fSb, &fNull, &status, &iterations);
    double b = 0.0;
    for (int j = 0; j < P; ++j) b += design[SB * P + j] * phiHat[j];
    q0Out[i] = status == STATUS_EMPTY ? 0.0 : q0_from_objectives(fSb, fNull, n[SB], 1.0, b);
    sOut[i] = n[SB] - b;
    statusOut[i] = status;
}
