using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastAD.Stats;

/// <summary>
/// The minimiser shared by every bump-hunt fit (and mirrored line by line in Sources/bumphunt.cl):
/// minimise F(φ) = Σ_r (λ_r − n_r ln λ_r)/k_r with λ = Aφ over the rows r &lt; rows, subject to λ_r ≥ 0 for
/// empty rows (n_r = 0). F is convex where λ &gt; 0 (λ is linear in φ), so Newton steps with an Armijo line
/// search converge; non-empty rows stay strictly positive (F → ∞ at λ → 0), empty rows that reach
/// λ = 0 become active equality constraints of the Newton (KKT) system and leave it again when their
/// multiplier turns negative.
/// </summary>
internal static class NewtonFitCore
{
    internal const int MaxIterations = 200;
    private const double DecrementTolerance = 1e-13;

    /// <summary>Scratch doubles needed for p parameters and the given rows.</summary>
    internal static int ScratchSize(int rows, int p) => 3 * rows + 5 * p + 5 * p * p + 2 * p;

    /// <summary>F at λ (λ must be feasible).</summary>
    internal static double Objective(ReadOnlySpan<double> lambda, ReadOnlySpan<double> n, ReadOnlySpan<double> k, int rows)
    {
        double f = 0;
        for (int r = 0; r < rows; r++)
            f += n[r] > 0 ? (lambda[r] - n[r] * Math.Log(lambda[r])) / k[r] : lambda[r] / k[r];
        return f;
    }

    private static void Multiply(ReadOnlySpan<double> a, int rows, int p, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int r = 0; r < rows; r++)
        {
            double v = 0;
            for (int j = 0; j < p; j++) v += a[r * p + j] * x[j];
            y[r] = v;
        }
    }

    /// <summary>True when λ = Aφ is a valid starting point.</summary>
    internal static bool Feasible(ReadOnlySpan<double> a, int rows, int p, ReadOnlySpan<double> n, ReadOnlySpan<double> phi, Span<double> lambda)
    {
        Multiply(a, rows, p, phi, lambda);
        for (int r = 0; r < rows; r++)
            if (n[r] > 0 ? !(lambda[r] > 0) : !(lambda[r] >= 0)) return false;
        return true;
    }

    /// <summary>
    /// Minimises in place from a feasible <paramref name="phi"/>. Returns the status; <paramref name="objective"/>
    /// receives F at the optimum.
    /// </summary>
    internal static FitStatus Minimise(ReadOnlySpan<double> a, ReadOnlySpan<double> outer, int rows, int p, ReadOnlySpan<double> n, ReadOnlySpan<double> k,
        Span<double> phi, Span<double> scratch, out double objective, out int iterations)
    {
        var lambda = scratch[..rows];
        var ad = scratch.Slice(rows, rows);
        var trial = scratch.Slice(2 * rows, rows);
        int o = 3 * rows;
        var g = scratch.Slice(o, p); o += p;
        var d = scratch.Slice(o, p); o += p;
        var phiTrial = scratch.Slice(o, p); o += p;
        var rhs = scratch.Slice(o, 2 * p); o += 2 * p;
        // The KKT system is at most (2p - 1)²; the packed Hessian lives in the tail of the same block.
        var kkt = scratch.Slice(o, 5 * p * p); o += 5 * p * p;
        Span<int> active = stackalloc int[p];
        int na = 0;

        Multiply(a, rows, p, phi, lambda);
        // Warm start of the active set: empty rows already at zero (e.g. from a previous fit) start active,
        // otherwise the first step would be blocked after a move below the objective's rounding.
        double scale = 0;
        for (int r = 0; r < rows; r++) scale = Math.Max(scale, Math.Abs(lambda[r]));
        for (int r = 0; r < rows && na < p - 1; r++)
            if (n[r] == 0 && lambda[r] <= 1e-12 * scale) active[na++] = r;
        double f = Objective(lambda, n, k, rows);
        var status = FitStatus.MaxIterations;
        for (iterations = 0; iterations < MaxIterations; iterations++)
        {
            // Gradient and Hessian of F; the Hessian as Σ_r h_r (a_r a_rᵀ) over the precomputed packed outer products.
            g.Clear();
            int m = p + na, packed = p * (p + 1) / 2;
            var hp = kkt.Slice(5 * p * p - packed, packed);
            hp.Clear();
            AccumulateDerivatives(a, outer, rows, p, packed, lambda, n, k, g, hp);
            kkt[..(m * m)].Clear();
            double maxDiag = 0;
            for (int i = 0, u = 0; i < p; i++)
                for (int j = i; j < p; j++, u++)
                {
                    kkt[i * m + j] = kkt[j * m + i] = hp[u];
                    if (i == j) maxDiag = Math.Max(maxDiag, hp[u]);
                }
            // A tiny ridge keeps directions that only empty rows see solvable; constraints then stop them.
            double ridge = 1e-12 * (maxDiag > 0 ? maxDiag : 1.0);
            for (int i = 0; i < p; i++) kkt[i * m + i] += ridge;
            for (int c = 0; c < na; c++)
                for (int j = 0; j < p; j++)
                {
                    double v = a[active[c] * p + j];
                    kkt[(p + c) * m + j] = v;
                    kkt[j * m + p + c] = -v;
                }
            for (int i = 0; i < p; i++) rhs[i] = -g[i];
            for (int c = 0; c < na; c++) rhs[p + c] = 0;
            if (!Solve(kkt, rhs, m))
            {
                status = FitStatus.Stalled;
                break;
            }
            for (int i = 0; i < p; i++) d[i] = rhs[i];
            double slope = 0;
            for (int i = 0; i < p; i++) slope += g[i] * d[i];
            double decrement = -slope;
            if (decrement <= DecrementTolerance * (1 + Math.Abs(f)))
            {
                // At the optimum of the current face: release the constraint with the most negative multiplier, if any.
                int drop = -1;
                double worst = -1e-9;
                for (int c = 0; c < na; c++)
                    if (rhs[p + c] < worst) { worst = rhs[p + c]; drop = c; }
                if (drop < 0)
                {
                    status = FitStatus.Converged;
                    break;
                }
                active[drop] = active[--na];
                continue;
            }

            // Longest feasible step: empty rows may reach zero (and block), non-empty rows keep a margin.
            Multiply(a, rows, p, d, ad);
            double tMax = double.PositiveInfinity;
            int blocking = -1;
            for (int r = 0; r < rows; r++)
            {
                if (ad[r] >= 0) continue;
                bool isActive = false;
                for (int c = 0; c < na; c++) isActive |= active[c] == r;
                if (isActive) continue;
                double cap = n[r] > 0 ? 0.995 * lambda[r] / -ad[r] : Math.Max(lambda[r], 0) / -ad[r];
                if (cap < tMax)
                {
                    tMax = cap;
                    blocking = n[r] > 0 ? -1 : r;
                }
            }
            double t = Math.Min(1.0, tMax);
            if (t < 1.0 && t == tMax && blocking >= 0 && t <= 0)
            {
                // Already on the boundary: activate without moving.
                if (na < p - 1) active[na++] = blocking;
                else { status = FitStatus.Stalled; break; }
                continue;
            }
            if (t < tMax) blocking = -1;
            double fTrial;
            while (true)
            {
                for (int i = 0; i < p; i++) phiTrial[i] = phi[i] + t * d[i];
                for (int r = 0; r < rows; r++) trial[r] = lambda[r] + t * ad[r];
                if (blocking >= 0) trial[blocking] = 0;
                fTrial = Objective(trial, n, k, rows);
                if (fTrial <= f + 1e-4 * t * slope) break;
                // A step onto a constraint too short to change F beyond rounding: take it and activate.
                if (blocking >= 0 && t * decrement <= 1e-12 * (1 + Math.Abs(f))) { fTrial = f + t * slope; break; }
                t *= 0.5;
                blocking = -1;
                if (t < 1e-14) break;
            }
            if (!(fTrial <= f + 1e-4 * t * slope))
            {
                status = decrement <= 1e-8 * (1 + Math.Abs(f)) ? FitStatus.Converged : FitStatus.Stalled;
                break;
            }
            // Take the step; λ follows incrementally (exact up to rounding) instead of a fresh A·φ.
            phiTrial.CopyTo(phi);
            trial.CopyTo(lambda);
            if (blocking >= 0 && na < p - 1) active[na++] = blocking;
            f = fTrial;
            // Quadratic convergence: after a full step from decrement δ the next decrement is about δ², so when
            // δ² is already below tolerance (and no constraint wants releasing) the check iteration can be skipped.
            if (t == 1.0 && blocking < 0 && decrement * decrement <= DecrementTolerance * (1 + Math.Abs(f)) && MultipliersNonNegative(rhs, p, na))
            {
                iterations++;
                status = FitStatus.Converged;
                break;
            }
        }
        objective = f;
        return status;
    }

    /// <summary>g = Σ_r g_r a_r and packed H = Σ_r h_r (a_r a_rᵀ), with 256-bit vectors where the hardware has them.</summary>
    private static void AccumulateDerivatives(ReadOnlySpan<double> a, ReadOnlySpan<double> outer, int rows, int p, int packed,
        ReadOnlySpan<double> lambda, ReadOnlySpan<double> n, ReadOnlySpan<double> k, Span<double> g, Span<double> hp)
    {
        int vp = Vector256.IsHardwareAccelerated ? packed / Vector256<double>.Count * Vector256<double>.Count : 0;
        ref double hpRef = ref MemoryMarshal.GetReference(hp);
        ref double outerRef = ref MemoryMarshal.GetReference(outer);
        for (int r = 0; r < rows; r++)
        {
            double lr = lambda[r], ir = 1.0 / k[r];
            var ar = a.Slice(r * p, p);
            if (n[r] > 0)
            {
                double gr = (1.0 - n[r] / lr) * ir, hr = n[r] * ir / (lr * lr);
                for (int i = 0; i < ar.Length; i++) g[i] += ar[i] * gr;
                int baseIndex = r * packed, u = 0;
                if (vp > 0)
                {
                    var h = Vector256.Create(hr);
                    for (; u < vp; u += Vector256<double>.Count)
                    {
                        var acc = Vector256.LoadUnsafe(ref hpRef, (nuint)u);
                        var o = Vector256.LoadUnsafe(ref outerRef, (nuint)(baseIndex + u));
                        (acc + o * h).StoreUnsafe(ref hpRef, (nuint)u);
                    }
                }
                for (; u < packed; u++) hp[u] += outer[baseIndex + u] * hr;
            }
            else for (int i = 0; i < ar.Length; i++) g[i] += ar[i] * ir;
        }
    }

    private static bool MultipliersNonNegative(ReadOnlySpan<double> solution, int p, int na)
    {
        for (int c = 0; c < na; c++)
            if (solution[p + c] < -1e-9) return false;
        return true;
    }

    /// <summary>Gaussian elimination with partial pivoting; the solution replaces <paramref name="b"/>.</summary>
    private static bool Solve(Span<double> m, Span<double> b, int size)
    {
        for (int c = 0; c < size; c++)
        {
            int best = c;
            double bestAbs = Math.Abs(m[c * size + c]);
            for (int r = c + 1; r < size; r++)
            {
                double v = Math.Abs(m[r * size + c]);
                if (v > bestAbs) { bestAbs = v; best = r; }
            }
            if (!(bestAbs > 0)) return false;
            if (best != c)
            {
                for (int j = 0; j < size; j++) (m[c * size + j], m[best * size + j]) = (m[best * size + j], m[c * size + j]);
                (b[c], b[best]) = (b[best], b[c]);
            }
            double inv = 1.0 / m[c * size + c];
            for (int r = c + 1; r < size; r++)
            {
                double factor = m[r * size + c] * inv;
                if (factor == 0) continue;
                for (int j = c; j < size; j++) m[r * size + j] -= factor * m[c * size + j];
                b[r] -= factor * b[c];
            }
        }
        for (int r = size - 1; r >= 0; r--)
        {
            double v = b[r];
            for (int j = r + 1; j < size; j++) v -= m[r * size + j] * b[j];
            b[r] = v / m[r * size + r];
        }
        return true;
    }
}
