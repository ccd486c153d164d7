using FastAD.Data;
using FastAD.Data.Synthetic;

namespace FastAD.Analyses.Cathode;

/// <summary>Where a run's events come from: a file of any supported format, or the built-in generator.</summary>
public static class CathodeData
{
    /// <summary>Reads a channel's events from a file (CSV, .npy/.npz, Feather, HDF5, Parquet; format from the magic bytes or extension).</summary>
    public static CathodeChannelData Load(string path, DimuonChannel channel, CathodeConfig config) =>
        CathodeInput.FromTable(EventTableIO.Read(path), channel, path, config);

    /// <summary>Generated OS and SS samples at the paper's sizes (the searched channel first).</summary>
    public static (CathodeChannelData Primary, CathodeChannelData Control) Generate(CathodeConfig config)
    {
        // OS carries the Υ signal at the published size; SS is background only. Different streams per channel.
        var os = FromGenerator(DimuonChannel.OS, config, config.Seed);
        var ss = FromGenerator(DimuonChannel.SS, config, config.Seed + 1_000_003);
        return config.Channel == DimuonChannel.OS ? (os, ss) : (ss, os);
    }

    /// <summary>
    /// A background-only sample of the searched channel's generated process (for the idealized method): 4 × the channel's
    /// size, no signal, its own stream.
    /// </summary>
    public static CathodeChannelData GenerateBackground(CathodeConfig config)
    {
        int events = 4 * (config.Channel == DimuonChannel.OS ? DimuonGenerator.OsEvents : DimuonGenerator.SsEvents);
        ulong seed = config.Seed + 2_000_003;
        var table = DimuonGenerator.Generate(new DimuonOptions(config.Channel, events, SignalFraction: 0, Seed: seed));
        return CathodeInput.FromTable(table, config.Channel, $"generated background-only {config.Channel} sample (seed {seed})", config);
    }

    private static CathodeChannelData FromGenerator(DimuonChannel channel, CathodeConfig config, ulong seed)
    {
        var table = DimuonGenerator.Generate(new DimuonOptions(channel, Seed: seed));
        return CathodeInput.FromTable(table, channel, $"generated {channel} sample (seed {seed})", config);
    }
}
