using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>
/// A reference conditional density with a known log-density, for tests and benchmarks (the PyTorch peer
/// bench/peers/flows_peers.py draws the same events with its Philox port): x | c = μ(c) + e^{0.3c} L ε with
/// μ(c) = (c, c²/2, −c), L = [[1, 0, 0], [0.6, 0.8, 0], [−0.3, 0.4, 0.5]], ε ~ N(0, I₃), c = 2u − 1 with u ~ U(0, 1);
/// u from Philox stream (stream + 100) and ε from stream (stream) of the seed.
/// </summary>
public static class ReferenceConditionalDensity
{
    /// <summary>Features.</summary>
    public const int D = 3;
    private static readonly double[,] L = { { 1.0, 0, 0 }, { 0.6, 0.8, 0 }, { -0.3, 0.4, 0.5 } };

    /// <summary>The analytic conditional entropy averaged over c (E[c] = 0).</summary>
    public static double Entropy => 1.5 * Math.Log(2 * Math.PI * Math.E) + Math.Log(L[0, 0] * L[1, 1] * L[2, 2]);

    private static double[] Mu(double c) => [c, 0.5 * c * c, -c];

    /// <summary>n events (row-major x, and c) from Philox streams of <paramref name="seed"/>.</summary>
    public static (double[] X, double[] C) Draw(int n, ulong stream, ulong seed = 21)
    {
        var cu = new double[n];
        Philox4x32.FillUniform(cu, seed, stream + 100);
        var c = cu.Select(u => 2 * u - 1).ToArray();
        return (DrawAt(c, seed, stream), c);
    }

    /// <summary>One x per given condition, from Philox stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static double[] DrawAt(double[] c, ulong seed, ulong stream)
    {
        int n = c.Length;
        var eps = new double[n * D];
        Philox4x32.FillNormal(eps, seed, stream);
        var x = new double[n * D];
        for (int k = 0; k < n; k++)
        {
            double s = Math.Exp(0.3 * c[k]);
            var mu = Mu(c[k]);
            for (int i = 0; i < D; i++)
            {
                double v = 0;
                for (int j = 0; j <= i; j++) v += L[i, j] * eps[k * D + j];
                x[k * D + i] = mu[i] + s * v;
            }
        }
        return x;
    }

    /// <summary>The true density's mean −log p(x|c) over the given events.</summary>
    public static double MeanNll(double[] x, double[] c)
    {
        int n = c.Length;
        double total = 0;
        for (int k = 0; k < n; k++)
        {
            double s = Math.Exp(0.3 * c[k]);
            var mu = Mu(c[k]);
            var e = new double[D];
            for (int i = 0; i < D; i++)
            {
                double r = (x[k * D + i] - mu[i]) / s;
                for (int j = 0; j < i; j++) r -= L[i, j] * e[j];
                e[i] = r / L[i, i];
            }
            total += 0.5 * e.Sum(v => v * v) + 1.5 * Math.Log(2 * Math.PI) + D * Math.Log(s) + Math.Log(L[0, 0] * L[1, 1] * L[2, 2]);
        }
        return total / n;
    }
}
