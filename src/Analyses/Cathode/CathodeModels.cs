using FastAD.Data.Synthetic;
using FastAD.Kernels.IO;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// What CATHODE keeps in the run's <see cref="ModelStore"/> and what identifies it: the file of each flow member and of
/// each channel's BDT ensemble, the groups their input fingerprints are kept under, their identities (checked on load),
/// and the lock under which pseudoexperiment shards train missing flows. The analysis and the pseudoexperiments both
/// use it, so no name is rebuilt by string elsewhere.
/// </summary>
internal static class CathodeModels
{
    private static string Ch(DimuonChannel channel) => channel.Text().ToLowerInvariant();

    /// <summary>File of flow member <paramref name="k"/> of a channel.</summary>
    internal static string FlowFile(DimuonChannel channel, int k) => $"flow-{Ch(channel)}-{k}.json";

    /// <summary>The group of a channel's flows (fingerprint <c>flows-os.inputs</c>).</summary>
    internal static string FlowGroup(DimuonChannel channel) => $"flows-{Ch(channel)}";

    /// <summary>File of a channel's BDT ensemble.</summary>
    internal static string BdtFile(DimuonChannel channel) => $"bdt-{Ch(channel)}.json";

    /// <summary>The group of a channel's BDT ensemble (fingerprint <c>bdt-os.inputs</c>).</summary>
    internal static string BdtGroup(DimuonChannel channel) => $"bdt-{Ch(channel)}";

    /// <summary>File of a method's BDT ensemble on a channel (SPEC 6; e.g. <c>bdt-cwola-os.json</c>).</summary>
    internal static string MethodBdtFile(string method, DimuonChannel channel) => $"bdt-{method}-{Ch(channel)}.json";

    /// <summary>The group of a method's BDT ensemble (fingerprint <c>bdt-cwola-os.inputs</c>).</summary>
    internal static string MethodBdtGroup(string method, DimuonChannel channel) => $"bdt-{method}-{Ch(channel)}";

    /// <summary>Identity of a method's BDT ensemble trained from <paramref name="inputs"/>.</summary>
    internal static ModelIdentity MethodBdtIdentity(string method, DimuonChannel channel, string inputs) => new($"cathode {method}", channel.Text(), null, inputs);

    /// <summary>File of ANODE's SR flow of fold <paramref name="fold"/> on a channel.</summary>
    internal static string AnodeFlowFile(DimuonChannel channel, int fold) => $"flow-anode-{Ch(channel)}-{fold}.json";

    /// <summary>The group of ANODE's SR flow of a fold (its own fingerprint: each fold trains on other events).</summary>
    internal static string AnodeFlowGroup(DimuonChannel channel, int fold) => $"flow-anode-{Ch(channel)}-{fold}";

    /// <summary>Identity of ANODE's SR flow of a fold trained from <paramref name="inputs"/>.</summary>
    internal static ModelIdentity AnodeFlowIdentity(DimuonChannel channel, int fold, string inputs) =>
        new("cathode anode", channel.Text(), fold.ToString(System.Globalization.CultureInfo.InvariantCulture), inputs);

    /// <summary>What <see cref="OutputLock.File"/> locks (as FILE.lock) while one process trains a channel's flows.</summary>
    internal static string FlowTrainingLock(ModelStore store, DimuonChannel channel) => store.PathOf(FlowGroup(channel));

    /// <summary>Fingerprint of a channel's BDT inputs: the flows (through their samples), the data and the classifier configuration.</summary>
    internal static string BdtInputs(CathodeConfig c, CathodeBackground.BackgroundSamples bg, CathodeChannelData data) =>
        ModelFingerprint.Of("cathode bdt v2", bg.FlowInputs, YamlConfig.ToYaml(c.Bdt), c.Statistics.Degree, c.Statistics.BinsSr, bg.ChannelSeed,
            bg.TrainingSamples, data.Mass, data.Features);

    /// <summary>Identity of flow member <paramref name="k"/> of a channel trained from <paramref name="flowInputs"/>.</summary>
    internal static ModelIdentity FlowIdentity(DimuonChannel channel, int k, string flowInputs) => new("cathode", channel.Text(), k.ToString(System.Globalization.CultureInfo.InvariantCulture), flowInputs);

    /// <summary>Identity of a channel's BDT ensemble (all folds and members in one file) trained from <paramref name="bdtInputs"/>.</summary>
    internal static ModelIdentity BdtIdentity(DimuonChannel channel, string bdtInputs) => new("cathode", channel.Text(), null, bdtInputs);
}
