using FastAD.Data.Synthetic;
using FastAD.Flows;
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
    public static ulong ChannelSeed(CathodeConfig c, DimuonChannel channel) => Seeds(c, channel).Seed;

    /// <summary>A channel's node of the run's seed tree, <c>cathode/os</c> or <c>cathode/ss</c>: every random stream of the channel hangs below it.</summary>
    internal static SeedTree Seeds(CathodeConfig c, DimuonChannel channel) => SeedTree.Of(c.Seed)["cathode"][channel.Text().ToLowerInvariant()];

    /// <summary>
    /// SPEC 1.3–1.4 for one channel: flows on the sidebands (80/20 split separately in SBL and SBH; saved, or reused from
    /// the run's model store), the sideband polynomial, and SR samples at masses drawn from it (training, validation and
    /// ROC sets).
    /// </summary>
    public static BackgroundSamples Train(RunContext run, CathodeConfig c, CathodeChannelData data, CathodePreprocessing pre)
    {
        var band = CathodeAnalysis.Bands(data, c);
        var sblRows = Enumerable.Range(0, data.Rows).Where(i => band[i] == MassBand.Sbl).ToArray();
        var sbhRows = Enumerable.Range(0, data.Rows).Where(i => band[i] == MassBand.Sbh).ToArray();
        ulong channelSeed = ChannelSeed(c, data.Channel);
        var (flows, summaries, flowInputs) = run.Time($"flows ({data.Channel})", () => TrainFlows(run, c, data, pre, sblRows, sbhRows, channelSeed));
        run.ThrowIfCancelled();
        var (theta, predicted) = run.Time($"sampling ({data.Channel})", () =>
        {
            var model = new BackgroundModel(CathodeAnalysis.Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
            var spectra = Spectra.FromEvents(model.Binning, data.Mass, default, out _);
            spectra.CheckFittable(model);
            var fit = new ManagedProfileFitter().Fit(model, spectra);
            return (fit.ThetaHatOf(0).ToArray(), fit.B[0]);
        });
        int perFlow = c.Flows.SamplesPerFlow > 0 ? c.Flows.SamplesPerFlow : Math.Max(1, (int)Math.Round(predicted));
        var sets = run.Time($"sampling ({data.Channel})", () =>
        {
            // Double precision: the managed path's samples to rounding on every device.
            using var evaluator = FlowEvaluator.For(run.Device, flows, FlowPrecision.Double);
            return Enumerable.Range(0, 3).Select(set => SampleSet(evaluator, pre, theta, c, perFlow, Seeds(c, data.Channel), set)).ToArray();
        });
        run.Report($"sampling {data.Channel}", 1, 1, $"{perFlow * flows.Length:N0} samples per set {FlowEvaluator.PathOn(run.Device, flows, FlowPrecision.Double)}");
        return new BackgroundSamples(flows, summaries, theta, predicted, perFlow * flows.Length, sets[0].X.Concat(sets[1].X).ToArray(), sets[2].X, sets[2].Mass, channelSeed,
            flowInputs);
    }

    private static (Spec13AffineMaf[] Flows, FlowSummary[] Summaries, string Inputs) TrainFlows(RunContext run, CathodeConfig c, CathodeChannelData data,
        CathodePreprocessing pre, int[] sblRows, int[] sbhRows, ulong channelSeed)
    {
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
        // Saved flows are reused only when they were trained from exactly these inputs, and each saved member must be intact
        // and carry this member's identity (channel, index, inputs).
        string inputs = ModelFingerprint.Of("cathode flows v2", YamlConfig.ToYaml(c.Flows), channelSeed, xTrain, cTrain, xVal, cVal);
        string stage = $"flows {data.Channel}";
        var reusable = run.Models.OpenMembers(run, stage, $"{data.Channel} flows", CathodeModels.FlowGroup(data.Channel), inputs, c.Flows.Ensemble,
            k => CathodeModels.FlowFile(data.Channel, k), (path, k) => FlowFile.Load(path, CathodeModels.FlowIdentity(data.Channel, k, inputs)),
            f => f.D == d && f.C == 1 && f.Made.Length == c.Flows.Blocks && f.Made[0].H == c.Flows.Hidden);
        var members = FlowStage.Train(run, c.Flows.Ensemble,
            k => reusable[k],
            k => new Spec13AffineMaf(d, 1, c.Flows.Hidden, c.Flows.Blocks, Seeds(c, data.Channel)["flows"][k]["init"].Seed),
            k => c.FlowOptions() with { Seed = Seeds(c, data.Channel)["flows"][k]["shuffle"].Seed },
            (k, flow) => FlowFile.Save(run.Models.PathOf(CathodeModels.FlowFile(data.Channel, k)), flow, identity: CathodeModels.FlowIdentity(data.Channel, k, inputs)),
            xTrain, cTrain, xVal, cVal, c.Flows.Epochs, stage,
            $"{c.Flows.Ensemble} flows on {trainRows.Count:N0} + {valRows.Count:N0} sideband events");
        var summaries = members.Select((mb, k) => mb.Training is { } r
            ? new FlowSummary(k, r.BestEpoch, r.ValidationLoss[r.BestEpoch], r.ValidationLoss.Length, false)
            : new FlowSummary(k, -1, FlowTrainer.ValidationLoss(mb.Flow, xVal, cVal, valRows.Count), 0, true)).ToArray();
        return (members.Select(mb => mb.Flow).ToArray(), summaries, inputs);
    }

    /// <summary>
    /// One sample set: each flow draws <paramref name="perFlow"/> masses from the sideband polynomial restricted to the SR
    /// and features x ~ p(x|m) at those masses, through the flow-evaluation seam (the device's sampling kernels, or each
    /// flow's own sampling on the CPU); returns physical features (rows × D) and masses.
    /// </summary>
    private static (double[] X, double[] Mass) SampleSet(FlowEvaluator evaluator, CathodePreprocessing pre, double[] theta, CathodeConfig c,
        int perFlow, SeedTree seeds, int set)
    {
        int d = evaluator.D, flows = evaluator.Flows.Count;
        var ms = new double[flows * perFlow];
        var noise = new double[flows * perFlow * d];
        Parallel.For(0, flows, k =>
        {
            var node = seeds["sampling"][set][k];
            SampleMasses(theta, c.Regions.SrLow, c.Regions.SrHigh, perFlow, node["masses"].Seed, 0).CopyTo(ms, k * perFlow);
            var z = new double[perFlow * d];
            Philox4x32.FillNormal(z, node["noise"].Seed, 0);
            z.CopyTo(noise, k * perFlow * d);
        });
        // Noise and masses per flow ([flow × event × …]): flow k samples at its own masses.
        return (pre.InverseFeatures(evaluator.Sample(noise, pre.Masses(ms), perFlow)), ms);
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
