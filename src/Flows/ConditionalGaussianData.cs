using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>
/// A synthetic conditional density with a known log-density, for benchmarks and accuracy comparisons of flow
/// implementations: c ~ U(−1, 1), x | c = μ(c) + e^{0.3c}·L·ε with μ(c) = (c, c²/2, −c), ε ~ N(0, I₃) and the
/// fixed lower-triangular L = [[1, 0, 0], [0.6, 0.8, 0], [−0.3, 0.4, 0.5]]. The true log p(x|c) of any events
/// lets an implementation report its excess NLL over the truth on its own events, which removes most of the
/// sampling noise when two implementations draw their events from different generators.
/// </summary>
public static class ConditionalGaussianData
{
    /// <summary>Features (3).</summary>
    public const int Features = 3;

    private static readonly double[] L = [1.0, 0, 0, 0.6, 0.8, 0, -0.3, 0.4, 0.5];

    private static double[] Mean(double c) => [c, 0.5 * c * c, -c];

    /// <summary>n events (x is n × 3, c is n × 1) from Philox stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static (double[] X, double[] C) Generate(int n, ulong seed, ulong stream)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "At least one event.");
        var eps = new double[n * Features];
        var u = new double[n];
        Philox4x32.FillNormal(eps, seed, 2 * stream);
        Philox4x32.FillUniform(u, seed, 2 * stream + 1);
        var x = new double[n * Features];
        var c = new double[n];
        for (int k = 0; k < n; k++)
        {
            double cc = 2 * u[k] - 1, s = Math.Exp(0.3 * cc);
            var mu = Mean(cc);
            for (int i = 0; i < Features; i++)
            {
                double v = 0;
                for (int j = 0; j <= i; j++) v += L[i * Features + j] * eps[k * Features + j];
                x[k * Features + i] = mu[i] + s * v;
            }
            c[k] = cc;
        }
        return (x, c);
    }

    /// <summary>Mean of −log p(x|c) under the true density over the events.</summary>
    public static double TrueNll(ReadOnlySpan<double> x, ReadOnlySpan<double> c)
    {
        int n = c.Length;
        double logDetL = Math.Log(L[0] * L[4] * L[8]), sum = 0;
        Span<double> e = stackalloc double[Features];
        for (int k = 0; k < n; k++)
        {
            double cc = c[k], s = Math.Exp(0.3 * cc);
            var mu = Mean(cc);
            double q = 0;
            for (int i = 0; i < Features; i++)
            {
                double r = (x[k * Features + i] - mu[i]) / s;
                for (int j = 0; j < i; j++) r -= L[i * Features + j] * e[j];
                e[i] = r / L[i * Features + i];
                q += e[i] * e[i];
            }
            sum += 0.5 * q + 0.5 * Features * Math.Log(2 * Math.PI) + Features * Math.Log(s) + logDetL;
        }
        return sum / n;
    }
}
