using FastAD.Kernels.IO;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// Where a CATHODE run keeps its models in its output folder and what identifies them: the file of each flow member and
/// of each channel's BDT ensemble, the fingerprints of their inputs, their identities (issue 14: checked on load), and the
/// lock under which pseudoexperiment shards train missing flows. The analysis and the pseudoexperiments both use it,
/// so no path is rebuilt by string elsewhere.
/// </summary>
internal static class CathodeModels
{
    /// <summary>The models folder of an output folder.</summary>
    internal static string Folder(string outDir) => Path.Combine(outDir, "models");

    /// <summary>Flow member <paramref name="k"/> of a channel.</summary>
    internal static string FlowPath(string outDir, string channel, int k) => Path.Combine(Folder(outDir), $"flow-{channel.ToLowerInvariant()}-{k}.json");

    /// <summary>A channel's BDT ensemble.</summary>
    internal static string BdtPath(string outDir, string channel) => Path.Combine(Folder(outDir), $"bdt-{channel.ToLowerInvariant()}.json");

    /// <summary>The fingerprint of a channel's flows' inputs.</summary>
    internal static string FlowInputsPath(string outDir, string channel) => Path.Combine(Folder(outDir), $"flows-{channel.ToLowerInvariant()}.inputs");

    /// <summary>The fingerprint of a channel's BDT inputs.</summary>
    internal static string BdtInputsPath(string outDir, string channel) => Path.Combine(Folder(outDir), $"bdt-{channel.ToLowerInvariant()}.inputs");

    /// <summary>What <see cref="OutputLock.File"/> locks (as FILE.lock) while one process trains a channel's flows.</summary>
    internal static string FlowTrainingLock(string outDir, string channel) => Path.Combine(Folder(outDir), $"flows-{channel.ToLowerInvariant()}");

    /// <summary>Fingerprint of a channel's BDT inputs: the flows (through their samples), the data and the classifier configuration.</summary>
    internal static string BdtInputs(CathodeConfig c, CathodeBackground.BackgroundSamples bg, CathodeChannelData data) =>
        ModelFingerprint.Of("cathode bdt v2", bg.FlowInputs, YamlConfig.ToYaml(c.Bdt), c.Statistics.Degree, c.Statistics.BinsSr, bg.ChannelSeed,
            bg.TrainingSamples, data.Mass, data.Features);

    /// <summary>Identity of flow member <paramref name="k"/> of a channel trained from <paramref name="flowInputs"/>.</summary>
    internal static ModelIdentity FlowIdentity(string channel, int k, string flowInputs) => new("cathode", channel, k.ToString(System.Globalization.CultureInfo.InvariantCulture), flowInputs);

    /// <summary>Identity of a channel's BDT ensemble (all folds and members in one file) trained from <paramref name="bdtInputs"/>.</summary>
    internal static ModelIdentity BdtIdentity(string channel, string bdtInputs) => new("cathode", channel, null, bdtInputs);

    /// <summary>What to do about a saved model that cannot be used where it cannot be retrained (pseudoexperiments).</summary>
    internal const string RetrainHint = "Run `fastad cathode --reuse` with the same options and --out to retrain it.";
}
