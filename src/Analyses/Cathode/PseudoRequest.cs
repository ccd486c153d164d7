using System.Text.Json.Serialization;

namespace FastAD.Analyses.Cathode;

/// <summary>How pseudo-data are made (SPEC 1.6, pseudoexperiments).</summary>
public enum PseudoMode
{
    /// <summary>
    /// The data resampled with replacement (same size). Each event enters once with its multiplicity as a frequency
    /// weight, so an event drawn several times stays in one fold: its copies are never both trained on and tested on.
    /// </summary>
    [JsonStringEnumMemberName("bootstrap")] Bootstrap,
    /// <summary>Background-only pseudo-data from the trained flows, masses from the sideband polynomial over the whole range.</summary>
    [JsonStringEnumMemberName("null")] Null,
}

/// <summary>What is retrained per pseudoexperiment.</summary>
public enum PseudoRetrain
{
    /// <summary>The whole k-fold BDT ensemble (the reference's procedure).</summary>
    [JsonStringEnumMemberName("bdt")] Bdt,
    /// <summary>Nothing: the saved ensemble scores the pseudo-data (statistics only).</summary>
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>Shard <c>i/K</c>: this process runs the pseudoexperiments j with j mod K = i.</summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>All pseudoexperiments in one shard.</summary>
    public static Shard Whole => new(0, 1);

    /// <summary>Parses <c>i/K</c> (0 ≤ i &lt; K); errors say what was expected.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int k))
            throw new ArgumentException($"--shard expects i/K such as 0/4 (got '{text}').");
        if (k < 1 || i < 0 || i >= k)
            throw new ArgumentException($"--shard {text}: need 0 ≤ i < K (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID is).");
        return new Shard(i, k);
    }

    /// <summary>Whether pseudoexperiment <paramref name="pseudo"/> belongs to this shard.</summary>
    public bool Owns(int pseudo) => pseudo % Count == Index;

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>What a pseudoexperiment run asks for.</summary>
public sealed record PseudoRequest(CathodeConfig Config, CathodeChannelData Data, CathodeChannelData? PreprocessingData, string OutDir, PseudoMode Mode,
    PseudoRetrain Retrain, int Count, Shard Shard, int Batch = 8);

/// <summary>One pseudoexperiment: the significances it reached.</summary>
/// <param name="Index">Its index (seeds derive from it alone).</param>
/// <param name="Events">Events in the pseudo-data (in the mass range).</param>
/// <param name="InitialZ">Z without a cut.</param>
/// <param name="Mu">S/(S+B) of the unweighted fit.</param>
/// <param name="ReweightedZ">Likelihood-reweighted Z (0 when μ ≤ 0).</param>
/// <param name="Z">Cut-and-count Z at each FPR of the header's grid.</param>
public sealed record PseudoResult(int Index, int Events, double InitialZ, double Mu, double ReweightedZ, double[] Z) : IShardRecord<PseudoHeader, PseudoResult>
{
    /// <inheritdoc />
    public static string Noun => "pseudoexperiment";

    /// <inheritdoc />
    public static PseudoResult Read(string path, string line, int lineNumber, PseudoHeader header) =>
        PseudoExperiments.PseudoLog.ReadResult(path, line, lineNumber, header.Fprs.Length);
}

/// <summary>The first line of a shard's results file: everything that must match for results to be merged.</summary>
public sealed record PseudoHeader(string Format, int Version, string Mode, string Retrain, int Count, ulong Seed, string Channel, string Input, int DataEvents,
    double[] Fprs, string ConfigDigest, string Config, int ShardIndex, int ShardCount) : IShardHeader<PseudoHeader>
{
    /// <inheritdoc />
    public static PseudoHeader Read(string path, string line, int lineNumber) => PseudoExperiments.PseudoLog.ReadHeader(path, line, lineNumber);

    /// <summary>Format name.</summary>
    public const string FormatName = "fastad-pseudo";
    /// <summary>
    /// Format version (2: bootstrap multiplicities as frequency weights, folds over distinct events; 3: every stream from
    /// the run's seed tree and FPR = 1 the plain bump hunt, so results of version 2 cannot be continued or merged with them).
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>The first field (other than the shard) where two headers differ, as "name: a vs b"; null when they agree.</summary>
    public string? Difference(PseudoHeader o)
    {
        if (Format != o.Format || Version != o.Version) return $"format {Format} v{Version} vs {o.Format} v{o.Version}";
        if (Mode != o.Mode) return $"mode: {Mode} vs {o.Mode}";
        if (Retrain != o.Retrain) return $"retrain: {Retrain} vs {o.Retrain}";
        if (Count != o.Count) return $"--n: {Count} vs {o.Count}";
        if (Channel != o.Channel) return $"channel: {Channel} vs {o.Channel}";
        if (DataEvents != o.DataEvents || Input != o.Input) return $"input: {Input} ({DataEvents} events) vs {o.Input} ({o.DataEvents} events)";
        if (!Fprs.SequenceEqual(o.Fprs)) return "FPR grid differs";
        if (ConfigDigest != o.ConfigDigest) return ShardLog.ConfigDifference(Config, o.Config);
        return null;
    }
}
