using FastAD.Data;

namespace FastAD.Analyses.Cathode;

/// <summary>Where a run's events come from: a file of any supported format, or the built-in generator.</summary>
public static class CathodeData
{
    /// <summary>Reads a channel's events from a file (CSV, .npy/.npz, Feather; format from the extension or magic bytes).</summary>
    public static CathodeChannelData Load(string path, string channel, CathodeConfig config) =>
        CathodeInput.FromTable(EventTableIO.Read(path), channel, path, config);

    /// <summary>Generated OS and SS samples at the paper's sizes (the searched channel first).</summary>
    public static (CathodeChannelData Primary, CathodeChannelData Control) Generate(CathodeConfig config)
    {
        throw new NotImplementedException("generator pending");
    }
}
