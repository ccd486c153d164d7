using MathFunctions = System.Math;

namespace FastAD.Kernels.Random;

/// <summary>
/// Poisson variates from Philox streams, identical in managed code and kernels (<c>common.cl</c>):
/// draw number j of a variate uses uniform double j of its stream (<see cref="Philox4x32.FillUniform(Span{double}, ulong, ulong, long)"/>
/// layout). Means below 10 use Knuth's multiplication method, larger means Hörmann's PTRS
/// (transformed rejection with squeeze), as numpy does.
/// </summary>
public static class PhiloxPoisson
{
    /// <summary>One Poisson(<paramref name="mean"/>) variate from stream (<paramref name="seed"/>, <paramref name="stream"/>).</summary>
    public static int Sample(double mean, ulong seed, ulong stream) => new Sampler(mean).Sample(seed, stream);

    /// <summary>
    /// A Poisson sampler for one mean with its constants computed once (the same values the kernel
    /// computes per call), for drawing many variates of that mean from different streams.
    /// </summary>
    public readonly struct Sampler
    {
        private readonly double _mean, _limit, _loglam, _a, _b, _logInvAlpha, _vr;

        /// <summary>Prepares the constants for <paramref name="mean"/>.</summary>
        public Sampler(double mean)
        {
            _mean = mean;
            _limit = MathFunctions.Exp(-mean);
            double slam = MathFunctions.Sqrt(mean);
            _loglam = MathFunctions.Log(mean);
            _b = 0.931 + 2.53 * slam;
            _a = -0.059 + 0.02483 * _b;
            _logInvAlpha = MathFunctions.Log(1.1239 + 1.1328 / (_b - 3.4));
            _vr = 0.9277 - 3.6224 / (_b - 2);
        }

        /// <summary>One variate from stream (<paramref name="seed"/>, <paramref name="stream"/>).</summary>
        public int Sample(ulong seed, ulong stream)
        {
            if (!(_mean > 0)) return 0;
            long position = 0;
            (uint, uint, uint, uint) block = default;
            if (_mean < 10)
            {
                double p = Next(seed, stream, ref position, ref block);
                int k = 0;
                while (p > _limit)
                {
                    k++;
                    p *= Next(seed, stream, ref position, ref block);
                }
                return k;
            }
            while (true)
            {
                double u = Next(seed, stream, ref position, ref block) - 0.5, v = Next(seed, stream, ref position, ref block);
                double us = 0.5 - MathFunctions.Abs(u);
                double k = MathFunctions.Floor((2 * _a / us + _b) * u + _mean + 0.43);
                if (us >= 0.07 && v <= _vr) return (int)k;
                if (k < 0 || (us < 0.013 && v > us)) continue;
                if (MathFunctions.Log(v) + _logInvAlpha - MathFunctions.Log(_a / (us * us) + _b) <= -_mean + k * _loglam - LogGamma(k + 1))
                    return (int)k;
            }
        }

        private static double Next(ulong seed, ulong stream, ref long position, ref (uint, uint, uint, uint) block)
        {
            if ((position & 1) == 0) block = Philox4x32.Block(seed, stream, (ulong)(position >> 1));
            double u = (position & 1) == 0 ? Philox4x32.UnitDouble(block.Item1, block.Item2) : Philox4x32.UnitDouble(block.Item3, block.Item4);
            position++;
            return u;
        }
    }

    /// <summary>
    /// ln Γ(x) for x ≥ 1 (Lanczos g = 7, n = 9), the same formula as <c>fastad_lgamma</c> in the kernels,
    /// so accept/reject decisions agree across backends.
    /// </summary>
    public static double LogGamma(double x)
    {
        // Lanczos approximation for Γ(x) = Γ(z + 1) with z = x - 1.
        double z = x - 1;
        double sum = 0.99999999999980993
            + 676.5203681218851 / (z + 1) - 1259.1392167224028 / (z + 2) + 771.32342877765313 / (z + 3)
            - 176.61502916214059 / (z + 4) + 12.507343278686905 / (z + 5) - 0.13857109526572012 / (z + 6)
            + 9.9843695780195716e-6 / (z + 7) + 1.5056327351493116e-7 / (z + 8);
        double t = z + 7.5;
        return 0.91893853320467274178 + (z + 0.5) * MathFunctions.Log(t) - t + MathFunctions.Log(sum);
    }
}
