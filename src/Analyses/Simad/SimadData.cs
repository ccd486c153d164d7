using FastAD.Data;
using FastAD.Data.Synthetic;

namespace FastAD.Analyses.Simad;

/// <summary>Signal events available for injection at one mass point.</summary>
/// <param name="Name">Label ("m_A = 125 GeV", or "file").</param>
/// <param name="MassA">m_A in GeV (NaN for a file's own signal).</param>
/// <param name="Events">The events (feature columns only).</param>
public sealed record SignalPool(string Name, double MassA, EventTable Events);

/// <summary>
/// The events of a run, feature columns only: the background-only "data" sample (what bootstrap "data" sets are
/// drawn from and signal is injected into), the simulation, optionally the observed data of a file, and the signal
/// pools of the injection scans.
/// </summary>
/// <param name="Source">Where the events came from.</param>
/// <param name="Features">Feature column names.</param>
/// <param name="Background">Background-only "data".</param>
/// <param name="Simulation">Simulation.</param>
/// <param name="Observed">A file's data rows as given (signal included), evaluated against the null; null when generated.</param>
/// <param name="Pools">Signal pools of the injection scans.</param>
/// <param name="Notes">What was assumed about the input (for the report).</param>
/// <param name="LuminosityFb">Integrated luminosity (fb⁻¹) the background sample stands for: converts injected events to a cross section.</param>
public sealed record SimadSample(string Source, string[] Features, EventTable Background, EventTable Simulation, EventTable? Observed,
    IReadOnlyList<SignalPool> Pools, IReadOnlyList<string> Notes, double LuminosityFb = MultileptonGenerator.DefaultLuminosityFb);

/// <summary>Builds <see cref="SimadSample"/>s from files or the multilepton generator, with clear errors for bad input.</summary>
public static class SimadData
{
    /// <summary>Fewest events in each of background "data" and simulation (each is split into training and test events).</summary>
    public const int MinEvents = 40;

    /// <summary>
    /// Generated samples (SPEC 3, docs/DATA.md "Multilepton"): a background-only "data" copy and a simulation copy of
    /// <c>generate.events</c> each, and for every mass point a signal pool large enough for the largest injection.
    /// </summary>
    public static SimadSample Generate(SimadConfig c)
    {
        int n = c.Generate.EventsPerCopy();
        // Events given explicitly stand for events / σ_bg; otherwise the sample was sized from the luminosity.
        double luminosity = c.Generate.Events > 0 ? MultileptonGenerator.LuminosityOf(n) : c.Generate.LuminosityFb;
        var features = c.Columns.Features.ToArray();
        var table = MultileptonGenerator.Generate(new MultileptonOptions(n, 0, MultileptonGenerator.SignalMassPoints[0], c.Seed));
        var sim = table.GetDouble("is_simulation");
        var background = table.Select(sim.Select(v => v == 0).ToArray());
        var simulation = table.Select(sim.Select(v => v == 1).ToArray());
        CheckColumns(table, features, "the generated multilepton sample");
        int need = Math.Max(c.Injection.Signal.DefaultIfEmpty(0).Max(), 1);
        var pools = new List<SignalPool>();
        foreach (var (mA, k) in c.Injection.MassPoints.Select((m, k) => (m, k)))
        {
            // The generator injects round(f·events) signal events into "data"; ask for the largest injection (or more).
            int events = Math.Max(n, 2 * need);
            double fraction = Math.Min(0.5, (need + 0.5) / events);
            var g = MultileptonGenerator.Generate(new MultileptonOptions(events, fraction, mA, c.Seed + 1_000_003UL * (ulong)(k + 1)));
            var signal = g.Select(g.GetDouble("is_signal").Select(v => v == 1).ToArray());
            pools.Add(new SignalPool($"m_A = {mA:G} GeV", mA, signal.SelectColumns(features)));
        }
        return new SimadSample($"generated multilepton samples (seed {c.Seed}, {n:N0} background events per copy = {luminosity:G4} fb⁻¹ at " +
                               $"{MultileptonGenerator.BackgroundCrossSectionFb:G} fb selected)", features,
            background.SelectColumns(features), simulation.SelectColumns(features), null, pools, [], luminosity);
    }

    /// <summary>Reads a file (CSV, .npy/.npz, Feather) with the feature columns and the simulation flag (and optional truth).</summary>
    public static SimadSample Load(string path, SimadConfig c) => FromTable(c.Columns.WithDerived(EventTableIO.Read(path), path), path, c);

    /// <summary>
    /// Splits a table into "data" (simulation flag 0) and simulation (1). With a truth column, background "data" is the
    /// data rows with truth 0 and the truth-1 rows form the signal pool "file"; without one, the bootstrap null is
    /// drawn from the data rows themselves (a background-like approximation, said in the notes).
    /// </summary>
    public static SimadSample FromTable(EventTable table, string source, SimadConfig c)
    {
        var features = c.Columns.Features.ToArray();
        var needed = features.Append(c.Columns.Simulation).ToArray();
        var missing = needed.Where(n => !table.Has(n)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{source}: missing column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; " +
                                           $"the simulation-based analysis needs {string.Join(", ", needed)} (the file has {string.Join(", ", table.ColumnNames)}). " +
                                           "Rename the columns or set columns.features / columns.simulation in the config.");
        CheckColumns(table, features, source);
        var flag = table.GetDouble(c.Columns.Simulation);
        for (int i = 0; i < flag.Length; i++)
            if (flag[i] is not (0 or 1))
                throw new InvalidDataException($"{source}: {table.Locate(i)}, column '{c.Columns.Simulation}' is {flag[i]}; it must be 0 (data) or 1 (simulation).");
        var data = table.Select(flag.Select(v => v == 0).ToArray());
        var simulation = table.Select(flag.Select(v => v == 1).ToArray()).SelectColumns(features);
        var notes = new List<string>();
        EventTable background;
        var pools = new List<SignalPool>();
        if (data.Has(c.Columns.Truth))
        {
            var truth = data.GetDouble(c.Columns.Truth);
            background = data.Select(truth.Select(v => v == 0).ToArray()).SelectColumns(features);
            var signal = data.Select(truth.Select(v => v == 1).ToArray()).SelectColumns(features);
            notes.Add($"background-only \"data\" = the {background.RowCount:N0} data rows with {c.Columns.Truth} = 0; the {signal.RowCount:N0} rows with {c.Columns.Truth} = 1 are the injection pool");
            if (signal.RowCount > 0) pools.Add(new SignalPool("file", double.NaN, signal));
        }
        else
        {
            background = data.SelectColumns(features);
            notes.Add($"no '{c.Columns.Truth}' column: the bootstrap null is drawn from the data rows themselves (valid if they are background-like), no injection scan");
        }
        Require(background.RowCount, $"{source}: background-only data rows ({c.Columns.Simulation} = 0{(data.Has(c.Columns.Truth) ? $", {c.Columns.Truth} = 0" : "")})");
        Require(simulation.RowCount, $"{source}: simulation rows ({c.Columns.Simulation} = 1)");
        notes.Add($"the background stands for {c.Generate.LuminosityFb:G4} fb⁻¹ (generate.luminosity_fb), which converts injected events to a cross section");
        return new SimadSample(source, features, background, simulation, data.SelectColumns(features), pools, notes, c.Generate.LuminosityFb);
    }

    private static void Require(int rows, string what)
    {
        if (rows < MinEvents)
            throw new InvalidDataException($"{what}: {rows} events; at least {MinEvents} are needed (they are split into training and test events).");
    }

    private static void CheckColumns(EventTable table, string[] features, string source)
    {
        foreach (var f in features)
        {
            var v = table.GetDouble(f);
            for (int i = 0; i < v.Length; i++)
                if (!double.IsFinite(v[i])) throw new InvalidDataException($"{source}: {table.Locate(i)}, column '{f}' is {v[i]}; features must be finite.");
        }
    }
}
