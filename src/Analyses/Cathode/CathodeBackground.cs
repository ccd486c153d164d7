using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using FastAD.Stats;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// The background-model stage of CATHODE (SPEC 1.3–1.4) for one channel: the conditional flows trained on the sidebands
/// (through the flow-training seam, saved and reused through <see cref="CathodeModels"/>), the sideband mass polynomial,
/// and the SR sample sets drawn from them. Inputs: the request, the channel's data and the SPEC 1.2 preprocessing; output:
/// <see cref="BackgroundSamples"/>. The analysis and the pseudoexperiments compose it.
/// </summary>
public static class CathodeBackground
{
    /// <summary>The background model of a channel: its flows, the sideband mass polynomial and the three SR sample sets.</summary>
    /// <param name="Flows">The trained (or reused) flows.</param>
    /// <param name="Summaries">Their training summaries.</param>
    /// <param name="MassModel">Raw-GeV coefficients of the sideband fit.</param>
    /// <param name="PredictedSr">SR events the polynomial predicts.</param>
    /// <param name="SamplesPerSet">Samples in each set (all flows).</param>
    /// <param name="TrainingSamples">Training and validation sets pooled (physical features, rows × D): the classifier's label 0.</param>
    /// <param name="RocSamples">The independent ROC set.</param>
    /// <param name="RocSampleMasses">Masses of the ROC set.</param>
    /// <param name="ChannelSeed">Seed of this channel's streams.</param>
    /// <param name="FlowInputs">Fingerprint of the flows' training inputs and configuration (see <see cref="ModelFingerprint"/>).</param>
    public sealed record BackgroundSamples(Spec13AffineMaf[] Flows, FlowSummary[] Summaries, double[] MassModel, double PredictedSr, int SamplesPerSet,
        double[] TrainingSamples, double[] RocSamples, double[] RocSampleMasses, ulong ChannelSeed, string FlowInputs);

    /// <summary>Seed of a channel's random streams.</summary>
    public static ulong ChannelSeed(CathodeConfig c, string channel) => Seeds(c, channel).Seed;

    /// <summary>A channel's node of the run's seed tree, <c>cathode/os</c> or <c>cathode/ss</c>: every random stream of the channel hangs below it.</summary>
    internal static SeedTree Seeds(CathodeConfig c, string channel) => SeedTree.Of(c.Seed)["cathode"][channel.ToLowerInvariant()];

    /// <summary>
    /// SPEC 1.3–1.4 for one channel: flows on the sidebands (80/20 split separately in SBL and SBH; saved, or reused when
    /// <see cref="CathodeRequest.Reuse"/>), the sideband polynomial, and SR samples at masses drawn from it (training,
    /// validation and ROC sets).
    /// </summary>
    public static BackgroundSamples Train(CathodeRequest request, CathodeChannelData data, CathodePreprocessing pre, ComputeDevice device,
        Dictionary<string, double> seconds, IProgress<StageProgress>? progress, CancellationToken cancel)
    {
        var c = request.Config;
        var band = CathodeAnalysis.Bands(data, c);
        var sblRows = Enumerable.Range(0, data.Rows).Where(i => band[i] == -1).ToArray();
        var sbhRows = Enumerable.Range(0, data.Rows).Where(i => band[i] == 1).ToArray();
        ulong channelSeed = ChannelSeed(c, data.Channel);
        FlowSummary[] summaries = [];
        string flowInputs = "";
        var flows = CathodeAnalysis.Time(seconds, $"flows ({data.Channel})", () => TrainFlows(request, data, pre, device, sblRows, sbhRows, channelSeed, progress, cancel, out summaries, out flowInputs));
        cancel.ThrowIfCancellationRequested();
        var (theta, predicted) = CathodeAnalysis.Time(seconds, $"sampling ({data.Channel})", () =>
        {
            var model = new BackgroundModel(CathodeAnalysis.Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
            var spectra = Spectra.FromEvents(model.Binning, data.Mass, default, out _);
            spectra.CheckFittable(model);
            var fit = new ManagedProfileFitter().Fit(model, spectra);
            return (fit.ThetaHatOf(0).ToArray(), fit.B[0]);
        });
        int perFlow = c.Flows.SamplesPerFlow > 0 ? c.Flows.SamplesPerFlow : Math.Max(1, (int)Math.Round(predicted));
        var sets = CathodeAnalysis.Time(seconds, $"sampling ({data.Channel})", () =>
            Enumerable.Range(0, 3).Select(set => SampleSet(flows, pre, theta, c, perFlow, Seeds(c, data.Channel), set)).ToArray());
        progress?.Report(new StageProgress($"sampling {data.Channel}", 1, 1, $"{perFlow * flows.Length:N0} samples per set"));
        return new BackgroundSamples(flows, summaries, theta, predicted, perFlow * flows.Length, sets[0].X.Concat(sets[1].X).ToArray(), sets[2].X, sets[2].Mass, channelSeed,
            flowInputs);
    }

    private static Spec13AffineMaf[] TrainFlows(CathodeRequest request, CathodeChannelData data, CathodePreprocessing pre, ComputeDevice device, int[] sblRows, int[] sbhRows,
        ulong channelSeed, IProgress<StageProgress>? progress, CancellationToken cancel, out FlowSummary[] summaries, out string inputs)
    {
        var c = request.Config;
        int d = data.D;
        var z = pre.Features(data.Features);
        var m = pre.Masses(data.Mass);
        // Validation: a seeded fraction of each sideband band.
        var valRows = new List<int>();
        var trainRows = new List<int>();
        foreach (var (rows, band) in new[] { (sblRows, "sbl"), (sbhRows, "sbh") })
        {
            var u = new double[rows.Length];
            Philox4x32.FillUniform(u, Seeds(c, data.Channel)["flows"]["validation"][band].Seed, 0);
            var order = Enumerable.Range(0, rows.Length).OrderBy(i => u[i]).ToArray();
            int nVal = Math.Max(1, (int)Math.Round(rows.Length * c.Flows.ValidationFraction));
            for (int k = 0; k < order.Length; k++) (k < nVal ? valRows : trainRows).Add(rows[order[k]]);
        }
        var xTrain = Rows.Gather(z, trainRows, d);
        var xVal = Rows.Gather(z, valRows, d);
        var cTrain = Rows.Gather(m, trainRows, 1);
        var cVal = Rows.Gather(m, valRows, 1);
        // Saved flows are reused only when they were trained from exactly these inputs; otherwise they are removed before
        // training, so an interrupted run never leaves flows of other inputs under this fingerprint.
        inputs = ModelFingerprint.Of("cathode flows v2", YamlConfig.ToYaml(c.Flows), channelSeed, xTrain, cTrain, xVal, cVal);
        string fingerprint = CathodeModels.FlowInputsPath(request.OutDir, data.Channel);
        bool same = request.Reuse && ModelFingerprint.Matches(fingerprint, inputs);
        if (!same)
        {
            var stale = Enumerable.Range(0, 100).Select(k => CathodeModels.FlowPath(request.OutDir, data.Channel, k)).Where(File.Exists).ToArray();
            if (request.KeepSavedModels && stale.Length > 0)
                throw new InvalidDataException($"The {data.Channel} flows in {CathodeModels.Folder(request.OutDir)} were trained on other inputs (data, seed or flows " +
                                               "configuration, or an earlier FastAD's random streams) than this run's: use the options of the `fastad cathode` run that made them, run `fastad cathode --reuse` with this FastAD to retrain them, or use another --out.");
            if (request.Reuse && stale.Length > 0)
                progress?.Report(new StageProgress($"flows {data.Channel}", 0, 1,
                    $"the saved {data.Channel} flows in {CathodeModels.Folder(request.OutDir)} were trained on other inputs (data, seed or flows configuration): retraining", Warning: true));
            foreach (var f in stale) File.Delete(f);
            ModelFingerprint.Write(fingerprint, inputs);
        }
        // Each saved member must be intact and carry this member's identity (channel, index, inputs): a damaged file or one
        // copied from another channel or member is retrained (with a note naming it), or refused when the saved models must be kept.
        string flowInputs = inputs;
        var reusable = new Spec13AffineMaf?[c.Flows.Ensemble];
        for (int k = 0; k < reusable.Length && same; k++)
        {
            string path = CathodeModels.FlowPath(request.OutDir, data.Channel, k);
            if (!File.Exists(path)) continue;
            Spec13AffineMaf loaded;
            try { loaded = FlowFile.Load(path, CathodeModels.FlowIdentity(data.Channel, k, flowInputs)); }
            catch (ModelFileException e) when (!request.KeepSavedModels)
            {
                progress?.Report(new StageProgress($"flows {data.Channel}", 0, 1, $"{path} {e.Reason}; retraining", Warning: true));
                continue;
            }
            catch (ModelFileException e)
            {
                throw e.WithHint(CathodeModels.RetrainHint);
            }
            reusable[k] = loaded.D == d && loaded.C == 1 && loaded.Made.Length == c.Flows.Blocks && loaded.Made[0].H == c.Flows.Hidden ? loaded : null;
        }
        var members = FlowStage.Train(device, c.Flows.Ensemble,
            k => reusable[k],
            k => new Spec13AffineMaf(d, 1, c.Flows.Hidden, c.Flows.Blocks, Seeds(c, data.Channel)["flows"][k]["init"].Seed),
            k => c.FlowOptions() with { Seed = Seeds(c, data.Channel)["flows"][k]["shuffle"].Seed },
            (k, flow) => FlowFile.Save(CathodeModels.FlowPath(request.OutDir, data.Channel, k), flow, identity: CathodeModels.FlowIdentity(data.Channel, k, flowInputs)),
            xTrain, cTrain, xVal, cVal, c.Flows.Epochs, $"flows {data.Channel}",
            $"{c.Flows.Ensemble} flows on {trainRows.Count:N0} + {valRows.Count:N0} sideband events", progress, cancel);
        summaries = members.Select((mb, k) => mb.Training is { } r
            ? new FlowSummary(k, r.BestEpoch, r.ValidationLoss[r.BestEpoch], r.ValidationLoss.Length, false)
            : new FlowSummary(k, -1, FlowTrainer.ValidationLoss(mb.Flow, xVal, cVal, valRows.Count), 0, true)).ToArray();
        return members.Select(mb => mb.Flow).ToArray();
    }

    /// <summary>
    /// One sample set: each flow draws <paramref name="perFlow"/> masses from the sideband polynomial restricted to the SR
    /// and features x ~ p(x|m) at those masses; returns physical features (rows × D) and masses.
    /// </summary>
    private static (double[] X, double[] Mass) SampleSet(Spec13AffineMaf[] flows, CathodePreprocessing pre, double[] theta, CathodeConfig c,
        int perFlow, SeedTree seeds, int set)
    {
        int d = flows[0].D;
        var xs = new double[flows.Length * perFlow * d];
        var ms = new double[flows.Length * perFlow];
        Parallel.For(0, flows.Length, k =>
        {
            var node = seeds["sampling"][set][k];
            var masses = SampleMasses(theta, c.Regions.SrLow, c.Regions.SrHigh, perFlow, node["masses"].Seed, 0);
            var noise = new double[perFlow * d];
            Philox4x32.FillNormal(noise, node["noise"].Seed, 0);
            var x = new double[perFlow * d];
            flows[k].Sample(noise, pre.Masses(masses), x, flows[k].NewPass(perFlow));
            var phys = pre.InverseFeatures(x);
            Array.Copy(phys, 0, xs, k * perFlow * d, phys.Length);
            Array.Copy(masses, 0, ms, k * perFlow, perFlow);
        });
        return (xs, ms);
    }

    /// <summary>Masses from the polynomial f (raw GeV coefficients) on [low, high] by rejection (Philox stream).</summary>
    public static double[] SampleMasses(double[] theta, double low, double high, int count, ulong seed, ulong stream)
    {
        double fmax = 0;
        for (int i = 0; i <= 200; i++) fmax = Math.Max(fmax, BackgroundModel.Evaluate(theta, low + (high - low) * i / 200.0));
        if (!(fmax > 0)) throw new InvalidOperationException($"The sideband polynomial is not positive on [{low}, {high}]; no SR masses can be drawn.");
        fmax *= 1.02;
        var result = new double[count];
        var u = new double[2 * Math.Max(count, 64)];
        long offset = 0;
        int got = 0;
        while (got < count)
        {
            Philox4x32.FillUniform(u, seed, stream, offset);
            offset += u.Length;
            for (int i = 0; i + 1 < u.Length && got < count; i += 2)
            {
                double m = low + (high - low) * u[i];
                if (u[i + 1] * fmax <= Math.Max(BackgroundModel.Evaluate(theta, m), 0)) result[got++] = m;
            }
        }
        return result;
    }
}
