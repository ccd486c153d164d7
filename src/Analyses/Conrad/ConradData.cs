using FastAD.Data;
using FastAD.Data.Synthetic;

namespace FastAD.Analyses.Conrad;

/// <summary>Events of one sample: the tail feature, row-major features (rows × D) and optional 0/1 truth.</summary>
public sealed record ConradSample(string Source, double[] Met, double[] Features, int D, double[]? Truth)
{
    /// <summary>Events.</summary>
    public int Rows => Met.Length;

    /// <summary>The events at <paramref name="rows"/>.</summary>
    public ConradSample Take(IReadOnlyList<int> rows)
    {
        var met = new double[rows.Count];
        var x = new double[rows.Count * D];
        var truth = Truth is null ? null : new double[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            met[i] = Met[rows[i]];
            Array.Copy(Features, rows[i] * D, x, i * D, D);
            if (truth is not null) truth[i] = Truth![rows[i]];
        }
        return new ConradSample(Source, met, x, D, truth);
    }
}

/// <summary>What a CONRAD run works on.</summary>
/// <param name="Description">Where the events came from (for the report).</param>
/// <param name="FeatureNames">Names of the D features.</param>
/// <param name="Data">The data ("data" rows: background and any signal), all above the trigger.</param>
/// <param name="Template">The background template the flow learns.</param>
/// <param name="PerfectBackground">A background sample from the data's own background process (generated runs only): the idealised classifiers' reference.</param>
/// <param name="Supervised">A labelled signal + background sample for the supervised classifier (generated runs only; otherwise it trains on the data's truth by folds).</param>
/// <param name="Test">An independent labelled test set of signal-region events (generated with its own seed, or read with --test), on which the SIC curves are measured beside the data's own.</param>
/// <param name="TestSet">What <paramref name="Test"/> is, or why there is none (for the report).</param>
public sealed record ConradInput(string Description, string[] FeatureNames, ConradSample Data, ConradSample Template,
    ConradSample? PerfectBackground, ConradSample? Supervised, ConradSample? Test = null, string TestSet = "none");

/// <summary>Reads CONRAD inputs from event tables or generates them, with clear errors for unusable input.</summary>
public static class ConradData
{
    /// <summary>Fewest template events a flow can be trained on.</summary>
    public const int MinTemplateEvents = 100;

    /// <summary>
    /// Reads a table holding data (is_template = 0) and template (is_template = 1) rows; with template znunu the
    /// template is generated instead and the table may be data only. Rows below the trigger are dropped.
    /// </summary>
    public static ConradInput Load(string path, ConradConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var cols = config.Columns;
        var table = cols.WithDerived(EventTableIO.Read(path), path);
        bool needTemplateColumn = config.Template == ConradTemplate.Gamma;
        var needed = new[] { cols.Met }.Concat(cols.Features).Concat(needTemplateColumn ? [cols.IsTemplate] : []).ToArray();
        var missing = needed.Where(n => !table.Has(n)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{path}: missing column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; " +
                                           $"the CONRAD analysis needs {string.Join(", ", needed)} (the file has {string.Join(", ", table.ColumnNames)}). " +
                                           "Rename the columns or set columns.* in the config" +
                                           (needTemplateColumn ? $"; without a template column use --template znunu (a generated template)." : "."));
        if (table.RowCount == 0) throw new InvalidDataException($"{path}: the table has no rows.");
        var isTemplate = table.Has(cols.IsTemplate) ? table.GetDouble(cols.IsTemplate) : new double[table.RowCount];
        var all = FromTable(table, path, config);
        var dataRows = Enumerable.Range(0, all.Rows).Where(i => isTemplate[i] == 0 && all.Met[i] >= config.Regions.Trigger).ToArray();
        var data = all.Take(dataRows) with { Source = $"{path} (data)" };
        ConradSample template;
        if (config.Template == ConradTemplate.Gamma)
        {
            var templateRows = Enumerable.Range(0, all.Rows).Where(i => isTemplate[i] == 1 && all.Met[i] >= config.Regions.Trigger).ToArray();
            template = all.Take(templateRows) with { Source = $"{path} (template rows, {cols.IsTemplate} = 1)", Truth = null };
        }
        else template = ZNuNu(config, Math.Max(data.Rows, MinTemplateEvents), config.Seed + 2, "generated Z(νν)+jets template");
        var input = new ConradInput(path, cols.Features.ToArray(), data, template, null, null, null,
            "none: real data has no independent labelled sample; give one with --test FILE (signal and background events with a truth column) to measure the SIC on it");
        Check(input, config);
        return input;
    }

    /// <summary>
    /// An independent labelled test set from <paramref name="path"/>: MET, the features and the truth column, the rows with
    /// is_template = 1 (if the column exists) dropped; the signal-region events are kept, and they must hold both classes.
    /// </summary>
    public static (ConradSample Test, string Description) LoadTest(string path, ConradConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var cols = config.Columns;
        var table = cols.WithDerived(EventTableIO.Read(path), path);
        var needed = new[] { cols.Met }.Concat(cols.Features).Append(cols.Truth).ToArray();
        var missing = needed.Where(n => !table.Has(n)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"--test {path}: missing column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; " +
                                           $"the independent test set needs {string.Join(", ", needed)} (the file has {string.Join(", ", table.ColumnNames)}).");
        var all = FromTable(table, $"--test {path}", config);
        var isTemplate = table.Has(cols.IsTemplate) ? table.GetDouble(cols.IsTemplate) : new double[table.RowCount];
        for (int i = 0; i < all.Rows; i++)
            if (all.Truth![i] is not (0 or 1))
                throw new InvalidDataException($"--test {path}: {table.Locate(i)}, column '{cols.Truth}' is {all.Truth[i]}; it must be 0 (background) or 1 (signal).");
        var test = all.Take(Enumerable.Range(0, all.Rows).Where(i => isTemplate[i] != 1 && all.Met[i] >= config.Regions.SignalRegion).ToArray());
        int s = test.Truth!.Count(t => t == 1), b = test.Rows - s;
        if (s == 0 || b == 0)
            throw new InvalidDataException($"--test {path}: {s:N0} signal and {b:N0} background events in the signal region ({cols.Met} ≥ {config.Regions.SignalRegion}); " +
                                           "the independent test set needs both.");
        return (test with { Source = $"--test {path}" }, $"{path}: {s:N0} signal and {b:N0} background events in the signal region");
    }

    /// <summary>Generated data (Z(νν)+jets + Z′ signal) and template, plus a perfect background sample and the supervised sample.</summary>
    public static ConradInput Generate(ConradConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var g = config.Generation;
        var table = ConradGenerator.Generate(new ConradOptions(g.Events, (double)g.SignalEvents / g.Events, config.Signal, config.Seed));
        var all = FromTable(table, "generated", config);
        var isTemplate = table.GetDouble("is_template");
        var data = all.Take(Enumerable.Range(0, all.Rows).Where(i => isTemplate[i] == 0).ToArray()) with { Source = $"generated data (seed {config.Seed})" };
        var template = config.Template == ConradTemplate.Gamma
            ? all.Take(Enumerable.Range(0, all.Rows).Where(i => isTemplate[i] == 1).ToArray()) with { Source = "generated γ+jets template", Truth = null }
            : ZNuNu(config, g.Events, config.Seed + 2, "generated Z(νν)+jets template");
        var perfect = ZNuNu(config, g.Events, config.Seed + 1, "generated Z(νν)+jets (perfect background)");
        ConradSample? supervised = null;
        if (g.SupervisedSignalEvents > 0)
        {
            // Half signal, half background: the generator's signal fraction is relative to the background count.
            var t = ConradGenerator.Generate(new ConradOptions(g.SupervisedSignalEvents, 1 - 1e-12, config.Signal, config.Seed + 3));
            var s = FromTable(t, "generated supervised sample", config);
            var tt = t.GetDouble("is_template");
            supervised = s.Take(Enumerable.Range(0, s.Rows).Where(i => tt[i] == 0).ToArray());
        }
        var (test, testSet) = GenerateTest(config);
        var input = new ConradInput($"generated ({g.Events:N0} background + {g.SignalEvents:N0} {config.Signal.Text()} signal events, {config.Template.Text()} template, seed {config.Seed})",
            config.Columns.Features.ToArray(), data, template, perfect, supervised, test, testSet);
        Check(input, config);
        return input;
    }


    /// <summary>
    /// The independent test set of a generated run: Z(νν)+jets and signal from their own seeds (seed + 4 and seed + 5), the
    /// signal-region events kept.
    /// </summary>
    private static (ConradSample? Test, string Description) GenerateTest(ConradConfig config)
    {
        var g = config.Generation;
        if (g.TestBackgroundEvents == 0) return (null, "none (generation.test_background_events = 0)");
        double sr = config.Regions.SignalRegion;
        var bg = ZNuNu(config, g.TestBackgroundEvents, config.Seed + 4, "test background");
        // The generator's signal fraction is relative to its background count: ask for as much background as signal and keep the signal.
        var t = ConradGenerator.Generate(new ConradOptions(g.TestSignalEvents, 1 - 1e-12, config.Signal, config.Seed + 5));
        var all = FromTable(t, "test signal", config);
        var signal = all.Take(Enumerable.Range(0, all.Rows).Where(i => all.Truth![i] == 1).ToArray());
        var bgSr = bg.Take(Enumerable.Range(0, bg.Rows).Where(i => bg.Met[i] >= sr).ToArray());
        var sgSr = signal.Take(Enumerable.Range(0, signal.Rows).Where(i => signal.Met[i] >= sr).ToArray());
        var test = new ConradSample("independent test set", [.. bgSr.Met, .. sgSr.Met], [.. bgSr.Features, .. sgSr.Features], bgSr.D,
            [.. new double[bgSr.Rows], .. Enumerable.Repeat(1.0, sgSr.Rows)]);
        return (test, $"generated with its own seeds ({config.Seed + 4}, {config.Seed + 5}): {sgSr.Rows:N0} {config.Signal.Text()} signal of {g.TestSignalEvents:N0} " +
                      $"and {bgSr.Rows:N0} Z(νν)+jets background events of {g.TestBackgroundEvents:N0} in the signal region");
    }

    private static ConradSample ZNuNu(ConradConfig config, int events, ulong seed, string source)
    {
        var t = ConradGenerator.Generate(new ConradOptions(events, 0, config.Signal, seed));
        var s = FromTable(t, source, config);
        var tt = t.GetDouble("is_template");
        return s.Take(Enumerable.Range(0, s.Rows).Where(i => tt[i] == 0).ToArray()) with { Source = source, Truth = null };
    }

    /// <summary>The MET, feature and (if present) truth columns; non-finite values and bounded features outside (0, 1) name the row and column.</summary>
    private static ConradSample FromTable(EventTable table, string source, ConradConfig config)
    {
        var cols = config.Columns;
        var met = table.GetDouble(cols.Met);
        int d = cols.Features.Count;
        var x = table.Matrix(cols.Features);
        var bounded = cols.Features.Select(f => cols.Bounded.Contains(f)).ToArray();
        for (int i = 0; i < met.Length; i++)
        {
            if (!double.IsFinite(met[i])) throw new InvalidDataException($"{source}: {table.Locate(i)}, column '{cols.Met}' is {met[i]}; it must be finite.");
            for (int j = 0; j < d; j++)
            {
                double v = x[i * d + j];
                if (bounded[j] ? !(v >= 0 && v <= 1) : !(v > 0 && double.IsFinite(v)))
                    throw new InvalidDataException($"{source}: {table.Locate(i)}, column '{cols.Features[j]}' is {v}; " +
                                                   (bounded[j] ? "it is listed in columns.bounded, so it must lie in [0, 1]." : "it must be positive and finite (it is log-transformed)."));
            }
        }
        var truth = table.Has(cols.Truth) ? table.GetDouble(cols.Truth) : null;
        return new ConradSample(source, met, x, d, truth);
    }

    /// <summary>Throws a clear error when the data or template cannot support the analysis.</summary>
    public static void Check(ConradInput input, ConradConfig config)
    {
        var r = config.Regions;
        int sr = input.Data.Met.Count(m => m >= r.SignalRegion);
        int cr = input.Data.Rows - sr;
        if (input.Data.Rows == 0)
            throw new InvalidDataException($"{input.Data.Source}: no data events above the trigger ({config.Columns.Met} ≥ {r.Trigger}).");
        if (sr == 0)
            throw new InvalidDataException($"{input.Data.Source}: the signal region is empty (no data events with {config.Columns.Met} ≥ {r.SignalRegion}); " +
                                           "check regions.signal_region and the MET column's units (GeV).");
        if (cr == 0)
            throw new InvalidDataException($"{input.Data.Source}: the control region is empty (no data events with {r.Trigger} ≤ {config.Columns.Met} < {r.SignalRegion}); " +
                                           "the ABCD estimate needs it.");
        if (input.Template.Rows < MinTemplateEvents)
            throw new InvalidDataException($"{input.Template.Source}: {input.Template.Rows} template events above the trigger; the flow needs at least {MinTemplateEvents}.");
    }
}
