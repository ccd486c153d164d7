using FastAD.Kernels;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Random;
using MathNet.Numerics;

namespace FastAD.Stats;

/// <summary>The q0 of many pseudo-spectra and their comparison with the asymptotic ½δ(0) + ½χ²₁ law.</summary>
public sealed class ToyResults
{
    internal ToyResults(double[] q0, double[] s, FitStatus[] status)
    {
        Q0 = q0;
        S = s;
        Status = status;
    }

    /// <summary>q0 per toy.</summary>
    public double[] Q0 { get; }
    /// <summary>Ŝ per toy.</summary>
    public double[] S { get; }
    /// <summary>Fit status per toy.</summary>
    public FitStatus[] Status { get; }

    /// <summary>Toys whose fits did not converge or whose q0 is not finite.</summary>
    public long Failed => Enumerable.Range(0, Status.Length).LongCount(i => !Status[i].IsUsable() || !double.IsFinite(Q0[i]));

    /// <summary>
    /// Tail fractions P(Z ≥ z) with binomial errors against the asymptotic 1 − Φ(z), and the fraction
    /// of toys with q0 = 0 against ½.
    /// </summary>
    public IReadOnlyList<CalibrationRow> Calibration(params double[] thresholds)
    {
        if (thresholds.Length == 0) thresholds = [1, 2, 3];
        return CalibrationRows(Q0.Length, Q0.LongCount(q => q == 0), thresholds, thresholds.Select(z => Q0.LongCount(q => q >= z * z)).ToArray());
    }

    /// <summary>The calibration table from counts: toys, toys with q0 = 0, and toys with Z ≥ each threshold.</summary>
    internal static IReadOnlyList<CalibrationRow> CalibrationRows(long n, long zeros, double[] thresholds, long[] above)
    {
        var rows = new List<CalibrationRow> { Row("q0 = 0", zeros, n, 0.5) };
        for (int i = 0; i < thresholds.Length; i++)
            rows.Add(Row($"Z >= {thresholds[i]:G}", above[i], n, 0.5 * SpecialFunctions.Erfc(thresholds[i] / Math.Sqrt(2))));
        return rows;
    }

    private static CalibrationRow Row(string name, long k, long n, double expected)
    {
        double f = n == 0 ? double.NaN : (double)k / n;
        double err = n == 0 ? double.NaN : Math.Sqrt(Math.Max(f * (1 - f), 1.0 / n) / n);
        return new CalibrationRow(name, k, f, err, expected, (f - expected) / err);
    }
}

/// <summary>
/// The counts of a toy study too large to keep every q0 (2·10⁹ toys would need 34 GB): toys, fits that failed,
/// toys with q0 = 0 and toys with Z ≥ each threshold. Equal to <see cref="ToyResults"/>' counts for the same toys.
/// </summary>
public sealed record ToyTally(long Toys, long Failed, long Zeros, double[] Thresholds, long[] Above)
{
    /// <summary>The calibration table (as <see cref="ToyResults.Calibration"/>).</summary>
    public IReadOnlyList<CalibrationRow> Calibration() => ToyResults.CalibrationRows(Toys, Zeros, Thresholds, Above);
}

/// <summary>One line of the null calibration: observed fraction ± binomial error against the asymptotic expectation.</summary>
/// <param name="Quantity">What is counted.</param>
/// <param name="Count">Toys counted.</param>
/// <param name="Fraction">Observed fraction.</param>
/// <param name="Error">Binomial standard error.</param>
/// <param name="Expected">Asymptotic expectation.</param>
/// <param name="Pull">(observed − expected) / error.</param>
public sealed record CalibrationRow(string Quantity, long Count, double Fraction, double Error, double Expected, double Pull);

/// <summary>
/// Poisson pseudo-spectra around a background (optionally plus an injected signal), fitted in batch.
/// Toy t draws row r from Philox stream t·rows + r, so results do not depend on batching or device
/// (up to the rare accept/reject tie of <see cref="PhiloxPoisson"/>).
/// </summary>
public static class ToyStudy
{
    /// <summary>
    /// Runs <paramref name="count"/> toys around the background φ (internal coefficients, e.g. the
    /// background-only fit of data) with <paramref name="signal"/> expected counts added per row (optional).
    /// </summary>
    public static ToyResults Run(ComputeDevice device, BackgroundModel model, ReadOnlySpan<double> phi, long count, ulong seed,
        ReadOnlySpan<double> signal = default, IProgress<long>? progress = null, int batch = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), "At most 2^31 - 1 toys per study kept in memory; count larger studies with Tally.");
        var mu = Means(device, model, phi, signal);
        var q0 = new double[count];
        var s = new double[count];
        var status = new FitStatus[count];
        var start = phi.ToArray();
        for (long first = 0; first < count; first += batch)
        {
            int n = (int)Math.Min(batch, count - first);
            RunBatch(device, model, mu, start, seed, first, n, q0.AsSpan((int)first, n), s.AsSpan((int)first, n), status.AsSpan((int)first, n));
            progress?.Report(first + n);
        }
        return new ToyResults(q0, s, status);
    }

    /// <summary>
    /// Runs <paramref name="count"/> toys like <see cref="Run"/> (the same toys, bit for bit) but keeps only their counts,
    /// so any number fits in memory; stops at the next batch when <paramref name="cancel"/> is signalled.
    /// </summary>
    public static ToyTally Tally(ComputeDevice device, BackgroundModel model, ReadOnlySpan<double> phi, long count, ulong seed, double[] thresholds,
        ReadOnlySpan<double> signal = default, IProgress<long>? progress = null, CancellationToken cancel = default, int batch = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var mu = Means(device, model, phi, signal);
        var start = phi.ToArray();
        int size = (int)Math.Min(batch, Math.Max(count, 1));
        var q0 = new double[size];
        var s = new double[size];
        var status = new FitStatus[size];
        long failed = 0, zeros = 0;
        var above = new long[thresholds.Length];
        for (long first = 0; first < count; first += batch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = (int)Math.Min(batch, count - first);
            RunBatch(device, model, mu, start, seed, first, n, q0.AsSpan(0, n), s.AsSpan(0, n), status.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                // A toy whose q0 is not finite failed whatever its status says (it is counted neither as zero nor above a threshold).
                if (!status[i].IsUsable() || !double.IsFinite(q0[i])) failed++;
                if (q0[i] == 0) zeros++;
                for (int t = 0; t < thresholds.Length; t++)
                    if (q0[i] >= thresholds[t] * thresholds[t]) above[t]++;
            }
            progress?.Report(first + n);
        }
        return new ToyTally(count, failed, zeros, thresholds, above);
    }

    private static double[] Means(ComputeDevice device, BackgroundModel model, ReadOnlySpan<double> phi, ReadOnlySpan<double> signal)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        if (phi.Length != model.Parameters) throw new ArgumentException($"Background has {phi.Length} coefficients; expected {model.Parameters}.");
        if (!signal.IsEmpty && signal.Length != model.Rows) throw new ArgumentException($"Signal has {signal.Length} rows; expected {model.Rows}.");
        var mu = new double[model.Rows];
        model.Expectations(phi, mu);
        for (int r = 0; r < mu.Length; r++)
        {
            mu[r] += signal.IsEmpty ? 0 : signal[r];
            if (!(mu[r] >= 0) || !double.IsFinite(mu[r]))
                throw new ArgumentException($"Expected count of row {r} is {mu[r]}; the generating model must be non-negative.");
        }
        return mu;
    }

    /// <summary>Toys <paramref name="first"/> … first + n − 1 into the spans (index 0 = toy <paramref name="first"/>).</summary>
    private static void RunBatch(ComputeDevice device, BackgroundModel model, double[] mu, double[] start, ulong seed, long first, int n,
        Span<double> q0, Span<double> s, Span<FitStatus> status)
    {
        if (device is CpuDevice) RunManaged(model, mu, start, seed, first, n, q0, s, status);
        else RunKernel(device, model, mu, start, seed, first, n, q0, s, status);
    }

    private static void RunManaged(BackgroundModel model, double[] mu, double[] start, ulong seed, long first, int count,
        Span<double> q0Out, Span<double> sOut, Span<FitStatus> statusOut)
    {
        var q0 = new double[count];
        var s = new double[count];
        var status = new FitStatus[count];
        int rows = model.Rows, p = model.Parameters, sr = model.SrRow;
        var samplers = mu.Select(m => new PhiloxPoisson.Sampler(m)).ToArray();
        Parallel.For(0, count,
            () => (N: new double[rows], K: Enumerable.Repeat(1.0, rows).ToArray(), Scratch: new double[NewtonFitCore.ScratchSize(rows, p) + 2 * p]),
            (i, _, local) =>
            {
                ulong toy = (ulong)(first + i);
                for (int r = 0; r < rows; r++) local.N[r] = samplers[r].Sample(seed, toy * (ulong)rows + (ulong)r);
                var fit = ManagedProfileFitter.FitSpectrum(model, local.N, local.K, start, local.Scratch, q0Only: true);
                long at = i;
                double b = 0;
                for (int j = 0; j < p; j++) b += model.Design[sr * p + j] * local.Scratch[j];
                status[at] = fit.Status;
                q0[at] = fit.Status == FitStatus.Empty ? 0 : BumpHuntResults.Q0FromObjectives(fit.FSidebands, fit.FNull, local.N[sr], 1.0, b);
                s[at] = local.N[sr] - b;
                return local;
            }, _ => { });
        q0.CopyTo(q0Out);
        s.CopyTo(sOut);
        status.CopyTo(statusOut);
    }

    private static void RunKernel(ComputeDevice device, BackgroundModel model, double[] mu, double[] start, ulong seed, long first, int count,
        Span<double> q0, Span<double> s, Span<FitStatus> status)
    {
        var program = device.GetProgram(typeof(ToyStudy).Assembly, "bumphunt.cl", KernelProfileFitter.Defines(model));
        using var design = device.Upload<double>(model.Design);
        using var outer = device.Upload<double>(model.Outer);
        using var means = device.Upload<double>(mu);
        using var startBuffer = device.Upload<double>(start);
        using var q0b = device.Allocate<double>(count);
        using var sb = device.Allocate<double>(count);
        using var stb = device.Allocate<int>(count);
        program.GetKernel("fit_toys").Launch(LaunchGrid.Linear(count, 64), design, outer, means, seed, first, count, startBuffer, q0b, sb, stb);
        device.Read(q0b, q0[..count]);
        device.Read(sb, s[..count]);
        var st = new int[count];
        device.Read(stb, st);
        for (int i = 0; i < count; i++) status[i] = (FitStatus)st[i];
    }
}
