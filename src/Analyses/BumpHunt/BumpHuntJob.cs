using System.Diagnostics;
using FastAD.Data;
using FastAD.Kernels;
using FastAD.Stats;

namespace FastAD.Analyses.BumpHunt;

/// <summary>What <c>fastad bumphunt</c> asks for.</summary>
/// <param name="MassesFile">A data file with a mass column (CSV/TSV, .npy, .npz or Feather; see docs/DATA.md).</param>
/// <param name="Column">Mass column name.</param>
/// <param name="Where">Row selection: column = value pairs (all must hold).</param>
/// <param name="WeightsColumn">Per-event weights column, or null for unweighted.</param>
/// <param name="Degree">Polynomial degree (1..9).</param>
/// <param name="BinsSR">SR bin boundaries (12 nominal).</param>
public sealed record BumpHuntRequest(string MassesFile, string Column = "dimu_mass", IReadOnlyDictionary<string, string>? Where = null,
    string? WeightsColumn = null, int Degree = 5, int BinsSR = 12);

/// <summary>The numbers of one bump hunt.</summary>
public sealed record BumpHuntReport(
    string File, string Selection, int EventsSelected, int EventsIgnored, double NSignalRegion, double S, double B, double Q0, double Z, double P,
    double MinusTwoLnL0, double MinusTwoLnL1, double[] ThetaHat, double[] ThetaHatHat, string Status, int Degree, int BinsSR, string Device);

/// <summary>Loads masses, applies the selection, fits (SPEC 1.6) and reports.</summary>
public static class BumpHuntJob
{
    /// <summary>Masses (and weights) of the selected rows; non-finite values are errors naming the file and line (or row).</summary>
    public static (double[] Masses, double[]? Weights) Load(BumpHuntRequest request)
    {
        var table = EventTableIO.Read(request.MassesFile, new ReadOptions());
        var masses = table.GetDouble(request.Column);
        var weights = request.WeightsColumn is null ? null : table.GetDouble(request.WeightsColumn);
        var mask = request.Where is { Count: > 0 } ? table.Matches(request.Where) : Enumerable.Repeat(true, table.RowCount).ToArray();
        var m = new List<double>();
        var w = weights is null ? null : new List<double>();
        for (int i = 0; i < table.RowCount; i++)
        {
            if (!mask[i]) continue;
            if (!double.IsFinite(masses[i]))
                throw new InvalidDataException($"{request.MassesFile}, {table.Locate(i)}: mass '{request.Column}' is {masses[i]}; masses must be finite.");
            if (weights is not null && (!double.IsFinite(weights[i]) || weights[i] < 0))
                throw new InvalidDataException($"{request.MassesFile}, {table.Locate(i)}: weight '{request.WeightsColumn}' is {weights[i]}; weights must be finite and non-negative.");
            m.Add(masses[i]);
            w?.Add(weights![i]);
        }
        if (m.Count == 0)
            throw new InvalidDataException($"{request.MassesFile}: no rows match {Describe(request.Where)} (of {table.RowCount} rows).");
        if (w is not null && w.All(x => x == 0))
            throw new InvalidDataException($"{request.MassesFile}: every weight in '{request.WeightsColumn}' of the {m.Count:N0} selected rows is 0; the weighted spectrum is empty.");
        return (m.ToArray(), w?.ToArray());
    }

    internal static string Describe(IReadOnlyDictionary<string, string>? where) =>
        where is { Count: > 0 } ? string.Join(",", where.Select(kv => $"{kv.Key}={kv.Value}")) : "all rows";

    /// <summary>Runs the bump hunt on a device.</summary>
    public static BumpHuntReport Run(BumpHuntRequest request, ComputeDevice device)
    {
        var (masses, weights) = Load(request);
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(request.BinsSR), request.Degree);
        var spectra = Spectra.FromEvents(model.Binning, masses, weights, out int ignored);
        spectra.CheckFittable(model);
        var r = ProfileLikelihoodFitter.For(device).Fit(model, spectra);
        if (r.Status[0] == FitStatus.NotFinite)
        {
            string cause = weights is null ? "" : $"; the weights reach {weights.Max():G4}: weights that large overflow the scaled-Poisson likelihood (sum of w² per bin) in double precision";
            throw new InvalidDataException($"{request.MassesFile} [{Describe(request.Where)}]: the fit's likelihood is not finite (B = {r.B[0]:G4}, -2lnL = {r.MinusTwoLnL1[0]:G4}){cause}. No significance can be quoted.");
        }
        return new BumpHuntReport(request.MassesFile, Describe(request.Where), masses.Length, ignored, spectra.N[model.SrRow],
            r.S[0], r.B[0], r.Q0[0], r.Z[0], r.P[0], r.MinusTwoLnL0[0], r.MinusTwoLnL1[0],
            r.ThetaHatOf(0).ToArray(), r.ThetaHatHatOf(0).ToArray(), r.Status[0].ToString(), request.Degree, request.BinsSR, device.Id);
    }
}

/// <summary>What <c>fastad toys</c> asks for.</summary>
public sealed record ToyRequest(long Count, ulong Seed, string MassesFile, IReadOnlyDictionary<string, string>? Where, int Degree = 5, int BinsSR = 12,
    double InjectedSignal = 0);

/// <summary>Speed and null calibration of a toy study.</summary>
public sealed record ToyReport(long Toys, double Seconds, double ToysPerSecond, long Failed, IReadOnlyList<CalibrationRow> Calibration,
    string Device, string Background);

/// <summary>Toys around the background-only fit of a spectrum (the built-in CMS OS spectrum by default).</summary>
public static class ToyJob
{
    /// <summary>The generating model: the background-only (θ̂̂) fit of the selected masses.</summary>
    public static (BackgroundModel Model, double[] Phi) Background(ToyRequest request)
    {
        var (masses, _) = BumpHuntJob.Load(new BumpHuntRequest(request.MassesFile, Where: request.Where, Degree: request.Degree, BinsSR: request.BinsSR));
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(request.BinsSR), request.Degree);
        var spectra = Spectra.FromEvents(model.Binning, masses, default, out _);
        spectra.CheckFittable(model);
        var fit = new ManagedProfileFitter().Fit(model, spectra);
        return (model, model.FromRaw(fit.ThetaHatHatOf(0)));
    }

    /// <summary>Runs the toys and times them (fits only; the generating fit is excluded).</summary>
    public static ToyReport Run(ToyRequest request, ComputeDevice device, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        if (request.Count < 1) throw new ArgumentException($"--n must be at least 1 (got {request.Count}).");
        if (!double.IsFinite(request.InjectedSignal) || request.InjectedSignal < 0)
            throw new ArgumentException($"--signal must be a finite, non-negative number of expected signal events in the SR (got {request.InjectedSignal}).");
        var (model, phi) = Background(request);
        double[]? signal = null;
        if (request.InjectedSignal != 0)
        {
            signal = new double[model.Rows];
            signal[model.SrRow] = request.InjectedSignal;
        }
        // Warm-up compiles kernels so the timing is of the fits.
        ToyStudy.Run(device, model, phi, Math.Min(256, request.Count), request.Seed + 1_000_000_007UL, signal);
        var sw = Stopwatch.StartNew();
        // Counted, not kept: any --n fits in memory (2·10⁹ q0 values would need 34 GB).
        var toys = ToyStudy.Tally(device, model, phi, request.Count, request.Seed, [1, 2, 3], signal, progress, cancel);
        double seconds = sw.Elapsed.TotalSeconds;
        return new ToyReport(request.Count, seconds, request.Count / seconds, toys.Failed, toys.Calibration(), device.Id,
            $"degree {request.Degree}, {model.Binning.SbBins} + 1 bins, θ̂̂ of {request.MassesFile} [{BumpHuntJob.Describe(request.Where)}]");
    }
}
