using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastAD.Stats;

/// <summary>
/// The minimiser shared by every bump-hunt fit (and mirrored line by line in Sources/bumphunt.cl):
/// minimise F(φ) = Σ_r (λ_r − n_r ln λ_r)/k_r with λ = Aφ over the rows r &lt; rows, subject to λ_r ≥ 0 for
/// empty rows (n_r = 0). F is convex where λ &gt; 0 (λ is linear in φ). Non-empty rows keep λ &gt; 0 by
/// themselves (F → ∞ as λ → 0); the constraints of empty rows are handled with a logarithmic barrier,
/// which for an empty row is exactly a Poisson term with a pseudo-count μ: each stage minimises
/// Σ_r (λ_r − ñ_r ln λ_r)/k_r with ñ_r = n_r, or μ for empty rows, by Newton steps with an Armijo line
/// search that never leaves λ &gt; 0; μ falls from 1e-2 to 1e-12 by factors of 10. The last stage's optimum
/// is within (empty rows)·μ ≤ 1e-10 of the constrained optimum in F. Spectra without empty rows need a
/// single stage: plain Newton.
/// </summary>
internal static class NewtonFitCore
{
    internal const int MaxIterations = 400;
    private const double DecrementTolerance = 1e-13;
    private const double FirstBarrier = 1e-2;
    private const double LastBarrier = 1e-12;

    /// <summary>Scratch doubles needed for p parameters and the given rows.</summary>
    internal static int ScratchSize(int rows, int p) => 4 * rows + 3 * p + p * p + p * (p + 1) / 2;

    /// <summary>F at λ with the true counts (empty rows contribute λ_r/k_r).</summary>
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

    /// <summary>True when λ = Aφ is a valid (strictly positive) starting point for the barrier method.</summary>
    internal static bool Feasible(ReadOnlySpan<double> a, int rows, int p, ReadOnlySpan<double> phi, Span<double> lambda)
    {
        Multiply(a, rows, p, phi, lambda);
        for (int r = 0; r < rows; r++)
            if (!(lambda[r] > 0)) return false;
        return true;
    }

    /// <summary>
    /// Minimises in place from a strictly feasible <paramref name="phi"/> (λ &gt; 0 on every row). Returns the
    /// status; <paramref name="objective"/> receives F (true counts) at the optimum.
    /// </summary>
    internal static FitStatus Minimise(ReadOnlySpan<double> a, ReadOnlySpan<double> outer, int rows, int p, ReadOnlySpan<double> n, ReadOnlySpan<double> k,
        Span<double> phi, Span<double> scratch, out double objective, out int iterations)
    {
        var lambda = scratch[..rows];
        var ad = scratch.Slice(rows, rows);
        var trial = scratch.Slice(2 * rows, rows);
        var pseudo = scratch.Slice(3 * rows, rows);
        int o = 4 * rows, packed = p * (p + 1) / 2;
        var g = scratch.Slice(o, p); o += p;
        var d = scratch.Slice(o, p); o += p;
        var phiTrial = scratch.Slice(o, p); o += p;
        var h = scratch.Slice(o, p * p); o += p * p;
        var hp = scratch.Slice(o, packed);

        int empty = 0;
        for (int r = 0; r < rows; r++) if (!(n[r] > 0)) empty++;
        double mu = empty > 0 ? FirstBarrier : 0;
        Multiply(a, rows, p, phi, lambda);
        var status = FitStatus.MaxIterations;
        iterations = 0;
        while (true)
        {
            for (int r = 0; r < rows; r++) pseudo[r] = n[r] > 0 ? n[r] : mu;
            status = Newton(a, outer, rows, p, packed, pseudo, k, phi, lambda, ad, trial, g, d, phiTrial, h, hp, ref iterations);
            if (status != FitStatus.Converged || mu <= LastBarrier) break;
            mu *= 0.1;
        }
        objective = Objective(lambda, n, k, rows);
        return status;
    }

    /// <summary>Newton with an Armijo line search on Σ (λ − ñ ln λ)/k, every ñ &gt; 0.</summary>
    private static FitStatus Newton(ReadOnlySpan<double> a, ReadOnlySpan<double> outer, int rows, int p, int packed, ReadOnlySpan<double> n, ReadOnlySpan<double> k,
        Span<double> phi, Span<double> lambda, Span<double> ad, Span<double> trial, Span<double> g, Span<double> d, Span<double> phiTrial,
        Span<double> h, Span<double> hp, ref int iterations)
    {
        double f = Objective(lambda, n, k, rows);
        for (; iterations < MaxIterations; iterations++)
        {
            AccumulateDerivatives(a, outer, rows, p, packed, lambda, n, k, g, hp);
            double maxDiag = 0;
            for (int i = 0, u = 0; i < p; i++)
                for (int j = i; j < p; j++, u++)
                {
                    h[i * p + j] = h[j * p + i] = hp[u];
                    if (i == j) maxDiag = Math.Max(maxDiag, hp[u]);
                }
            // A tiny ridge keeps nearly flat directions solvable; the line search bounds the step.
            double ridge = 1e-12 * (maxDiag > 0 ? maxDiag : 1.0);
            for (int i = 0; i < p; i++)
            {
                h[i * p + i] += ridge;
                d[i] = -g[i];
            }
            if (!Solve(h, d, p)) return FitStatus.Stalled;
            double slope = 0;
            for (int i = 0; i < p; i++) slope += g[i] * d[i];
            double decrement = -slope;
            if (decrement <= DecrementTolerance * (1 + Math.Abs(f))) return FitStatus.Converged;

            // Longest step keeping every λ positive, with a margin.
            Multiply(a, rows, p, d, ad);
            double t = 1.0;
            for (int r = 0; r < rows; r++)
                if (ad[r] < 0) t = Math.Min(t, 0.995 * lambda[r] / -ad[r]);
            double fTrial;
            while (true)
            {
                for (int i = 0; i < p; i++) phiTrial[i] = phi[i] + t * d[i];
                for (int r = 0; r < rows; r++) trial[r] = lambda[r] + t * ad[r];
                fTrial = Objective(trial, n, k, rows);
                if (fTrial <= f + 1e-4 * t * slope) break;
                t *= 0.5;
                if (t < 1e-14) break;
            }
            if (!(fTrial <= f + 1e-4 * t * slope))
                return decrement <= 1e-8 * (1 + Math.Abs(f)) ? FitStatus.Converged : FitStatus.Stalled;
            // Take the step; λ follows incrementally (exact up to rounding) instead of a fresh A·φ.
            phiTrial.CopyTo(phi);
            trial.CopyTo(lambda);
            f = fTrial;
            // Quadratic convergence: after a full step from decrement δ the next decrement is about δ², so
            // when δ² is already below tolerance the check iteration can be skipped.
            if (t == 1.0 && decrement * decrement <= DecrementTolerance * (1 + Math.Abs(f)))
            {
                iterations++;
                return FitStatus.Converged;
            }
        }
        return FitStatus.MaxIterations;
    }

    /// <summary>g = Σ_r g_r a_r and packed H = Σ_r h_r (a_r a_rᵀ), with 256-bit vectors where the hardware has them.</summary>
    private static void AccumulateDerivatives(ReadOnlySpan<double> a, ReadOnlySpan<double> outer, int rows, int p, int packed,
        ReadOnlySpan<double> lambda, ReadOnlySpan<double> n, ReadOnlySpan<double> k, Span<double> g, Span<double> hp)
    {
        g.Clear();
        hp.Clear();
        int vp = Vector256.IsHardwareAccelerated ? packed / Vector256<double>.Count * Vector256<double>.Count : 0;
        ref double hpRef = ref MemoryMarshal.GetReference(hp);
        ref double outerRef = ref MemoryMarshal.GetReference(outer);
        for (int r = 0; r < rows; r++)
        {
            double lr = lambda[r], ir = 1.0 / k[r];
            double gr = (1.0 - n[r] / lr) * ir, hr = n[r] * ir / (lr * lr);
            var ar = a.Slice(r * p, p);
            for (int i = 0; i < ar.Length; i++) g[i] += ar[i] * gr;
            int baseIndex = r * packed, u = 0;
            if (vp > 0)
            {
                var hv = Vector256.Create(hr);
                for (; u < vp; u += Vector256<double>.Count)
                {
                    var acc = Vector256.LoadUnsafe(ref hpRef, (nuint)u);
                    var ov = Vector256.LoadUnsafe(ref outerRef, (nuint)(baseIndex + u));
                    (acc + ov * hv).StoreUnsafe(ref hpRef, (nuint)u);
                }
            }
            for (; u < packed; u++) hp[u] += outer[baseIndex + u] * hr;
        }
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
