using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>Per-condition minimum and maximum of the data a flow was trained on.</summary>
public sealed record ConditionRange(double[] Min, double[] Max)
{
    /// <summary>Column minima and maxima of row-major conditions.</summary>
    public static ConditionRange Of(ReadOnlySpan<double> c, int width)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width));
        var min = Enumerable.Repeat(double.PositiveInfinity, width).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, width).ToArray();
        for (int i = 0; i < c.Length; i++)
        {
            min[i % width] = Math.Min(min[i % width], c[i]);
            max[i % width] = Math.Max(max[i % width], c[i]);
        }
        return new ConditionRange(min, max);
    }

    /// <summary>The range in the units before a standardisation (v·std + mean per column).</summary>
    public ConditionRange Unstandardised(double[] mean, double[] std) =>
        new(Min.Select((v, j) => v * std[j] + mean[j]).ToArray(), Max.Select((v, j) => v * std[j] + mean[j]).ToArray());

    /// <summary>Rows with any condition outside [Min, Max] (or not finite): the flow extrapolates there.</summary>
    public int CountOutside(ReadOnlySpan<double> c, int rows)
    {
        int width = Min.Length, count = 0;
        if (c.Length < rows * width) throw new ArgumentException($"{c.Length} condition values for {rows} rows of {width}.");
        for (int n = 0; n < rows; n++)
            for (int j = 0; j < width; j++)
            {
                double v = c[n * width + j];
                if (!(v >= Min[j] && v <= Max[j]))
                {
                    count++;
                    break;
                }
            }
        return count;
    }
}

/// <summary>
/// Several conditional flows of the same shape trained on the same data with different seeds (SPEC 1.3: 5 flows,
/// samples pooled; CONRAD: 5 flows). <see cref="Train"/> trains the members concurrently; <see cref="Sample"/>
/// pools their samples; <see cref="MeanLogProb"/> averages their log-densities.
/// </summary>
public sealed class FlowEnsemble
{
    /// <summary>Wraps trained members (all with the same D and C).</summary>
    public FlowEnsemble(IReadOnlyList<IConditionalFlow> members, ConditionRange? conditionRange = null)
    {
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one flow.");
        if (members.Any(m => m.D != members[0].D || m.C != members[0].C)) throw new ArgumentException("Ensemble members must share D and C.");
        Members = members;
        ConditionRange = conditionRange;
    }

    /// <summary>The flows.</summary>
    public IReadOnlyList<IConditionalFlow> Members { get; }
    /// <summary>Features D.</summary>
    public int D => Members[0].D;
    /// <summary>Conditions C.</summary>
    public int C => Members[0].C;
    /// <summary>The training conditions' range (null when unknown or C = 0).</summary>
    public ConditionRange? ConditionRange { get; set; }

    /// <summary>
    /// Trains <paramref name="members"/> flows made by <paramref name="create"/>(member index) concurrently (at most
    /// <paramref name="maxParallel"/> at once; 0 = one per core), member i shuffling with seed options.Seed + i.
    /// Records the training conditions' range.
    /// </summary>
    public static (FlowEnsemble Ensemble, FlowTrainingResult[] Results) Train(int members, Func<int, IConditionalFlow> create,
        double[] xTrain, double[] cTrain, double[] xVal, double[] cVal, FlowTrainingOptions options, int maxParallel = 0,
        IProgress<(int Member, int Epoch, double Train, double Validation)>? progress = null)
    {
        if (members < 1) throw new ArgumentOutOfRangeException(nameof(members), "An ensemble needs at least one flow.");
        var flows = Enumerable.Range(0, members).Select(create).ToArray();
        var results = new FlowTrainingResult[members];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxParallel > 0 ? maxParallel : Environment.ProcessorCount };
        bool serialMembers = Math.Min(members, parallel.MaxDegreeOfParallelism) >= Environment.ProcessorCount;
        Parallel.For(0, members, parallel, i =>
        {
            using var scope = FlowParallelism.Serial(serialMembers);
            var memberProgress = progress is null ? null : new Relay(i, progress);
            results[i] = FlowTrainer.Train(flows[i], xTrain, cTrain, xVal, cVal, options with { Seed = options.Seed + (ulong)i }, memberProgress);
        });
        var range = flows[0].C > 0 ? ConditionRange.Of(cTrain, flows[0].C) : null;
        return (new FlowEnsemble(flows, range), results);
    }

    private sealed class Relay(int member, IProgress<(int, int, double, double)> target) : IProgress<(int Epoch, double Train, double Validation)>
    {
        public void Report((int Epoch, double Train, double Validation) value) => target.Report((member, value.Epoch, value.Train, value.Validation));
    }

    /// <summary>The mean over members of log p_m(x|c) per row (evaluation mode).</summary>
    public void MeanLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, int rows)
    {
        var sum = new double[rows];
        var lp = new double[rows];
        foreach (var m in Members)
        {
            m.EvaluateLogProb(x[..(rows * D)], c, lp, default);
            for (int n = 0; n < rows; n++) sum[n] += lp[n];
        }
        for (int n = 0; n < rows; n++) logProb[n] = sum[n] / Members.Count;
    }

    /// <summary>
    /// Pooled samples: every member draws one x per row of conditions <paramref name="c"/> (member m from Philox
    /// stream m of <paramref name="seed"/>); member m's samples are rows m·rows … (m + 1)·rows − 1 of the result.
    /// </summary>
    public double[] Sample(ReadOnlySpan<double> c, int rows, ulong seed)
    {
        int d = D;
        var result = new double[Members.Count * rows * d];
        var conditions = c.ToArray();
        Parallel.For(0, Members.Count, m =>
        {
            var noise = new double[rows * d];
            Philox4x32.FillNormal(noise, seed, (ulong)m);
            Members[m].SampleInChunks(noise, conditions, result.AsSpan(m * rows * d, rows * d), rows);
        });
        return result;
    }
}
