using System.Diagnostics;
using FastAD.Kernels;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Diagnostics;
using FastAD.Kernels.Random;

namespace FastAD.Stats;

/// <summary>
/// The Stats rows of <c>fastad selftest</c>: batched kernel fits against the managed reference on
/// pseudo-spectra from dense (≈25 events per bin) to sparse (mostly empty bins), for degrees 3, 5 and 7.
/// </summary>
public static class FitSelfTest
{
    /// <summary>Runs the checks on a device (the managed CPU is the reference and is checked for convergence only).</summary>
    public static IReadOnlyList<SelfTestResult> Run(ComputeDevice device)
    {
        var results = new List<SelfTestResult>();
        foreach (int degree in new[] { 3, 5, 7 })
        {
            var sw = Stopwatch.StartNew();
            string name = $"bump-hunt fits, degree {degree}";
            try
            {
                var model = new BackgroundModel(BumpHuntBinning.Dimuon(), degree);
                var spectra = PseudoSpectra(model, 600);
                var reference = new ManagedProfileFitter().Fit(model, spectra);
                double worst = 0;
                int unconverged = reference.Status.Count(s => !s.IsUsable());
                if (device is not CpuDevice)
                {
                    var got = ProfileLikelihoodFitter.For(device).Fit(model, spectra);
                    for (int i = 0; i < spectra.Count; i++)
                    {
                        if (got.Status[i] != reference.Status[i]) { worst = double.PositiveInfinity; break; }
                        worst = Math.Max(worst, Math.Abs(got.Q0[i] - reference.Q0[i]) / Math.Max(1, reference.Q0[i]));
                    }
                }
                bool ok = unconverged == 0 && worst <= 1e-9;
                results.Add(new SelfTestResult(name, ok, worst, 1e-9,
                    $"{spectra.Count} spectra, 0.05..25 events/bin; q0 vs managed reference{(unconverged > 0 ? $"; {unconverged} not converged" : "")}", sw.Elapsed.TotalSeconds));
            }
            catch (Exception e) when (e is ComputeException or ArgumentException or InvalidOperationException)
            {
                results.Add(new SelfTestResult(name, false, double.NaN, 1e-9, e.Message, sw.Elapsed.TotalSeconds));
            }
        }
        return results;
    }

    /// <summary>Poisson spectra from a falling quadratic at scales from sparse to dense, a signal in a third of them.</summary>
    internal static Spectra PseudoSpectra(BackgroundModel model, int count)
    {
        var spectra = new Spectra(count, model.Rows);
        var mu = new double[model.Rows];
        for (int i = 0; i < count; i++)
        {
            double scale = Math.Pow(10, -1.3 + 2.7 * i / (count - 1)); // events per bin at the low edge: 0.05 .. 25
            for (int r = 0; r < model.Binning.SbBins; r++)
            {
                double m = model.Binning.SbCentres[r];
                mu[r] = scale * (1.0 - 0.05 * (m - 5)) * (1.0 - 0.03 * (m - 5));
            }
            double sr = 0;
            foreach (var c in model.Binning.SrCentres) sr += scale * (1.0 - 0.05 * (c - 5)) * (1.0 - 0.03 * (c - 5));
            mu[model.SrRow] = sr * (i % 3 == 0 ? 1.15 : 1.0);
            for (int r = 0; r < model.Rows; r++)
                spectra.N[(long)i * model.Rows + r] = PhiloxPoisson.Sample(mu[r], 424242, (ulong)(i * model.Rows + r));
        }
        return spectra;
    }
}
