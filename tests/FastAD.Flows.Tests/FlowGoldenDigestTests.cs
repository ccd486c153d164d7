using System.Security.Cryptography;
using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Flows.Tests;

/// <summary>
/// Golden digests: for every flow kind and a few seeds and shapes, SHA-256 of the bits of everything a flow computes
/// — the parameters after seeded construction and after a short training run (single- and double-precision products),
/// training-mode log p and every gradient, evaluation-mode log p and latents (pass, whole-set and Latent with its
/// log|det|), samples (and, for SPEC 1.3, its single-precision sampling and evaluation paths), running statistics — and of
/// the bytes of the saved flow file (saved, loaded, saved again). The digests were taken before the flows were
/// refactored into one layer stack with pluggable transforms, and re-taken for the nflows kinds (2026-12-04) when their
/// sampling moved to the fused MadeSamplingPlan (affine-nflows: samples summed in another order) and the spline inverse to
/// RationalQuadraticSpline.InverseOf and, in the plan, RationalQuadraticTransform.InverseColumns (rqs: vectorised
/// exponentials, all rows at once) — both checked against the old paths to 1e-12 in
/// FastPathTests and SplineTests, and every other number unchanged (the digests matched with the old inverses). A refactoring that changes any bit of any of these fails
/// here. A deliberate change of numbers must say so and re-take them (the failure message prints the new digest).
/// </summary>
public class FlowGoldenDigestTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(Expected.Keys);

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["affine-spec13 D3 C1 seed 1"] = "d627bf463b26395f8bf7212655a9f7daead8ed4fcd91a0349a7672e118beca75",
        ["affine-spec13 D4 C2 seed 2"] = "fafd36eaf015b7de1c2a0ed0141832eb9666c8273ae4705254bbe8fa4df7becb",
        ["affine-spec13 D3 C1 seed 5 wide"] = "8a64e7e59816e8c50e30a3011ae6df117b3c93006bb54f9c6ff3cc70e83ff8d9",
        ["affine-spec13 D3 C0 seed 3"] = "e3f44cf362229698a2cacb97dd0a1ec83b19c2f1775768743347431aacdfb6fc",
        ["affine-nflows D3 C1 seed 1 random"] = "234d996e6faca0e5c65dfaaec5befa33c0c299be24c7cc21d8ee5920329fca12",
        ["affine-nflows D4 C2 seed 2 reverse"] = "7d0686943f9c61968444e004b78088043bd49cac802e9ca70d3f30cb61640247",
        ["rqs D3 C1 seed 1 random"] = "c713d58f91050e97ce3bc3b5fd794b95c860f7332eca6d86a674ebf3ee888833",
        ["rqs D4 C2 seed 2 reverse"] = "f7910bc438c7a8133e4ae2c309e4344b4a8e30b0294ae96861f4737ba49705e8",
        ["rqs D3 C1 seed 3 residual"] = "47056338b602d2a6f005c476d243dbf9690ee8ca3506af448dc58ba96fd80574",
        ["rqs D3 C0 seed 4 residual"] = "79e035d1bb71698278ad6c0478d7acf5a311f90189edd92ea9956da70ed759c2",
    };

    private static (FlowArchitecture Architecture, int D, int C, ulong Seed) Parse(string name)
    {
        var w = name.Split(' ');
        int d = int.Parse(w[1][1..]), c = int.Parse(w[2][1..]);
        ulong seed = ulong.Parse(w[4]);
        var kind = FlowArchitecture.ParseKind(w[0]);
        // "wide": H = 32, where the SPEC 1.3 MAF's products run in single precision when asked.
        var architecture = new FlowArchitecture(kind, Blocks: 3, Hidden: w[^1] == "wide" ? 32 : kind == FlowKind.AffineSpec13 ? 8 : 10, HiddenLayers: 2, Bins: 5, TailBound: 2.5,
            Permutation: w.Length > 5 && w[5] == "random" ? FlowPermutation.Random : FlowPermutation.Reverse, Residual: w.Length > 5 && w[5] == "residual");
        return (architecture, d, c, seed);
    }

    private sealed class Digest
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public void Add(ReadOnlySpan<double> values)
        {
            Span<byte> b = stackalloc byte[8];
            foreach (var v in values)
            {
                BitConverter.TryWriteBytes(b, BitConverter.DoubleToInt64Bits(v));
                _hash.AppendData(b);
            }
        }

        public void Add(IConditionalFlow flow)
        {
            foreach (var (value, _) in flow.Parameters()) Add(value);
            foreach (var s in flow.State()) Add(s);
        }

        public void AddBytes(byte[] bytes) => _hash.AppendData(bytes);

        public string Hex() => Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
    }

    private static double[] Normal(int n, ulong seed, ulong stream, double scale = 1)
    {
        var v = new double[n];
        Philox4x32.FillNormal(v, seed, stream);
        for (int i = 0; i < n; i++) v[i] *= scale;
        return v;
    }

    /// <summary>
    /// The vector path the digests were taken on (AVX-512 with FMA, this project's CI machine): the portable fallbacks
    /// (DOTNET_EnableHWIntrinsic=0) and narrower vectors round differently in the last bits, which the other flow tests
    /// check to their tolerances; these digests only say that a refactoring changed no bit on one path.
    /// </summary>
    private static bool RecordedPath => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void EverythingAFlowComputesIsBitForBitAsBefore(string name)
    {
        Skip.IfNot(RecordedPath, "the golden digests were taken with AVX-512 and FMA; this process runs another vector path (checked to tolerance by the other flow tests)");
        var (architecture, d, c, seed) = Parse(name);
        var digest = new Digest();
        var flow = architecture.Create(d, c, seed);
        digest.Add(flow);
        ulong stream = 10;
        foreach (var (value, _) in flow.Parameters())
        {
            var noise = Normal(value.Length, seed + 100, stream++, 0.2);
            for (int i = 0; i < value.Length; i++) value[i] += noise[i];
        }
        const int rows = 1300;       // above the parallel thresholds of both MADEs (512-row chunks, 1024 serial rows)
        var x = Normal(rows * d, seed, 1, 1.5);
        var cc = Normal(rows * Math.Max(c, 1), seed, 2);
        flow.UpdateRunningStatistics(x, cc, rows);
        digest.Add(flow);

        const int batch = 16;
        var pass = flow.NewFlowPass(batch);
        var lp = new double[batch];
        flow.LogProb(x, cc, lp, training: true, pass);
        digest.Add(lp);
        digest.Add(pass.Latent);
        flow.ZeroGrad();
        flow.Backward(cc, pass);
        foreach (var (_, grad) in flow.Parameters()) digest.Add(grad);

        const int evalRows = 300;
        var evalPass = flow.NewFlowPass(evalRows);
        var lpEval = new double[evalRows];
        flow.LogProb(x, cc, lpEval, training: false, evalPass);
        digest.Add(lpEval);
        digest.Add(evalPass.Latent);
        var z = new double[evalRows * d];
        var logDet = new double[evalRows];
        flow.Latent(x, cc, z, logDet, flow.NewFlowPass(evalRows));
        digest.Add(z);
        digest.Add(logDet);
        var lpAll = new double[rows];
        var zAll = new double[rows * d];
        flow.EvaluateLogProb(x, cc, lpAll, zAll);
        digest.Add(lpAll);
        digest.Add(zAll);
        flow.EvaluateLogProb(x, cc, lpAll, default);
        digest.Add(lpAll);

        var noise1 = Normal(evalRows * d, seed, 3);
        var samples = new double[evalRows * d];
        flow.Sample(noise1, cc, samples, flow.NewFlowPass(evalRows));
        digest.Add(samples);
        if (flow is Spec13AffineMaf maf)
        {
            maf.Sample(noise1, cc, samples, maf.NewPass(evalRows), singlePrecision: true);
            digest.Add(samples);
            maf.EvaluateLogProb(x, cc, lpAll, zAll, singlePrecision: true);
            digest.Add(lpAll);
            digest.Add(zAll);
        }

        // Training: float products (the default) on a copy, double products on the flow.
        foreach (bool single in new[] { true, false })
        {
            var trained = architecture.Create(d, c, seed + 7);
            var xv = Normal(200 * d, seed, 4, 1.5);
            var cv = Normal(200 * Math.Max(c, 1), seed, 5);
            var result = FlowTrainer.Train(trained, x, cc, xv, cv,
                new FlowTrainingOptions { Epochs = 2, BatchSize = 128, LearningRate = 3e-3, Seed = seed, SinglePrecisionProducts = single });
            digest.Add(result.TrainLoss);
            digest.Add(result.ValidationLoss);
            digest.Add([result.BestEpoch]);
            digest.Add(trained);
        }

        string path = Path.Combine(Path.GetTempPath(), $"fastad-golden-{Guid.NewGuid():N}.json");
        try
        {
            FlowFile.Save(path, new FlowEnsemble([flow]));
            var bytes = File.ReadAllBytes(path);
            digest.AddBytes(bytes);
            var (loaded, _) = FlowFile.LoadEnsemble(path);
            FlowFile.Save(path, loaded);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            var lpLoaded = new double[evalRows];
            loaded.Members[0].LogProb(x, cc, lpLoaded, training: false, loaded.Members[0].NewFlowPass(evalRows));
            Assert.Equal(lpEval, lpLoaded);
        }
        finally
        {
            File.Delete(path);
        }

        string hex = digest.Hex();
        output.WriteLine($"[\"{name}\"] = \"{hex}\",");
        Assert.True(Expected[name] == hex, $"{name}: digest {hex}, expected {Expected[name]}: some number a flow computes has changed");
    }
}
