using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Flows.Tests;

/// <summary>
/// One contract suite over <see cref="IConditionalFlow"/>, run for every transform FastAD has: the SPEC 1.3 affine MAF
/// (<see cref="Spec13AffineMaf"/>, batch norm), the nflows affine and the rational-quadratic-spline
/// <see cref="NflowsMaf"/> (plain and residual MADE), and the SPEC 1.3 exp-affine transform on the nflows MADE. Each flow is small (D = 3, C = 1, three transforms,
/// 8 hidden units), trained for two epochs and then perturbed, so that it is far from the identity, and its
/// batch-norm running statistics (where it has any) are those of a skewed data set, not 0 and 1. Everything is
/// seeded: a failure reproduces. Only the interface is used, so a new flow type joins by adding a factory.
/// </summary>
public class ConditionalFlowContractTests(ITestOutputHelper output)
{
    private const int D = 3, C = 1;

    /// <summary>Correlated, condition-dependent, skewed data: x1 depends on x0·c, x2 on x1², some rows beyond the RQS tail bound.</summary>
    private static (double[] X, double[] C) Data(int rows, ulong seed)
    {
        var x = new double[rows * D];
        var c = new double[rows];
        Philox4x32.FillNormal(x, seed, 0);
        Philox4x32.FillNormal(c, seed, 1);
        for (int n = 0; n < rows; n++)
        {
            x[D * n] = 1.3 * x[D * n] + 0.4;
            x[D * n + 1] += 0.7 * x[D * n] * c[n];
            x[D * n + 2] = 0.5 * x[D * n + 2] + 0.3 * x[D * n + 1] * x[D * n + 1] - 0.5;
        }
        return (x, c);
    }

    /// <summary>Two epochs of training (double products), a perturbation of every parameter, running statistics from skewed data.</summary>
    private static IConditionalFlow MakeNonTrivial(IConditionalFlow flow)
    {
        var (x, c) = Data(256, 31);
        var (xv, cv) = Data(64, 32);
        FlowTrainer.Train(flow, x, c, xv, cv, new FlowTrainingOptions { Epochs = 2, BatchSize = 64, LearningRate = 3e-3, Seed = 3, SinglePrecisionProducts = false });
        GradientCheck.Perturb(flow.Parameters(), 0.15, 33);
        flow.UpdateRunningStatistics(x, c, 256);
        return flow;
    }

    /// <summary>The flows under contract, by name.</summary>
    private static readonly Dictionary<string, Func<IConditionalFlow>> Factories = new()
    {
        ["affine-spec13"] = () => MakeNonTrivial(new Spec13AffineMaf(D, C, 8, 3, seed: 5)),
        ["affine-nflows"] = () => MakeNonTrivial(new NflowsMaf(D, C, 8, 3, AutoregressiveTransform.AffineNflows,
            hiddenLayers: 2, permutation: FlowPermutation.Random, seed: 5)),
        ["rqs"] = () => MakeNonTrivial(new NflowsMaf(D, C, 8, 3, AutoregressiveTransform.RationalQuadratic, bins: 6, tailBound: 3,
            hiddenLayers: 2, permutation: FlowPermutation.Random, seed: 5)),
        // A transform is a strategy of the MADE blocks: SPEC 1.3's exp-affine transform on the nflows MADE (no file kind; the
        // composition a new transform class gets for free).
        ["exp-affine-on-nflows-made"] = () => MakeNonTrivial(new NflowsMaf(D, C, 3,
            () => new NflowsMadeBlock(D, C, 8, 2, ExpAffineTransform.Instance), FlowPermutation.Random, seed: 5)),
        ["rqs-residual"] = () => MakeNonTrivial(new NflowsMaf(D, C, 8, 3, AutoregressiveTransform.RationalQuadratic, bins: 6, tailBound: 3,
            hiddenLayers: 2, permutation: FlowPermutation.Reverse, seed: 5, residual: true)),
    };

    /// <summary>Theory data: one row per flow type.</summary>
    public static TheoryData<string> Flows => new(Factories.Keys);

    private static IConditionalFlow Make(string name) => Factories[name]();

    private static double[] Noise(int rows, ulong seed, ulong stream = 0)
    {
        var z = new double[rows * D];
        Philox4x32.FillNormal(z, seed, stream);
        return z;
    }

    private static double[] Latent(IConditionalFlow flow, double[] x, double[] c, out double[] logDet)
    {
        int rows = x.Length / D;
        var z = new double[x.Length];
        logDet = new double[rows];
        flow.Latent(x, c, z, logDet, flow.NewFlowPass(rows));
        return z;
    }

    private static double[] Sample(IConditionalFlow flow, double[] noise, double[] c)
    {
        var x = new double[noise.Length];
        flow.Sample(noise, c, x, flow.NewFlowPass(noise.Length / D));
        return x;
    }

    private static double[] LogProb(IConditionalFlow flow, double[] x, double[] c)
    {
        int rows = x.Length / D;
        var lp = new double[rows];
        flow.LogProb(x, c, lp, training: false, flow.NewFlowPass(rows));
        return lp;
    }

    /// <summary>
    /// (a) Backward gives the gradient of L = −mean log p(x|c) of a training-mode pass (batch statistics where the flow
    /// has batch norm: their dependence on the parameters is part of the check), by <see cref="GradientCheck"/>: every
    /// parameter, five-point differences, 1e-6 relative with an absolute floor of 1e-9 (two orders above the numeric
    /// gradient's noise, far below any gradient a wrong formula would give: a gradient off by a sign or a factor fails
    /// by O(1) relative).
    /// </summary>
    [Theory]
    [MemberData(nameof(Flows))]
    public void ParameterGradientsEqualFiniteDifferences(string name)
    {
        var flow = Make(name);
        const int batch = 8;
        var (x, c) = Data(batch, 41);
        // The relu MADEs (nflows kinds) are only piecewise smooth: a stencil that straddles a kink is rechecked narrower (seen
        // for affine-nflows: 6 entries of block 0's output layer off by ~2e-3 at h = 1e-4, exact to 1e-11 for h ≤ 5e-5).
        var r = GradientCheck.CheckFlowParameters(flow, x, c, batch, absoluteFloor: 1e-9, reliefAtKinks: true, what: $"{name}: ");
        output.WriteLine($"{name}: {r.Count} gradients in {r.Arrays} arrays, worst relative error {r.Worst:E2}; {r.Kinks} rechecked with h = 1e-6 (a relu kink within ±2h)");
    }

    /// <summary>
    /// (b) Sample and Latent are inverses: x → z → x and z → x → z to 1e-11 (absolute, values O(1): the maps are
    /// exact inverses in exact arithmetic, and a chain of three blocks loses a few digits at most — the spline inverse
    /// solves a quadratic, the affine inverses divide by scales near 1; seen: ≤ 5e-15, so 1e-11 leaves room for other
    /// summation orders and still catches an inverse that is only approximately right, such as one iterated to a
    /// tolerance). Data rows include some beyond the tail bound. The flows must move points (mean |z − x| > 0.1).
    /// </summary>
    [Theory]
    [MemberData(nameof(Flows))]
    public void SamplingInvertsTheLatentMap(string name)
    {
        var flow = Make(name);
        const int rows = 300;
        var (x, c) = Data(rows, 42);
        Assert.Contains(x, v => Math.Abs(v) > 3);
        var z = Latent(flow, x, c, out _);
        double moved = x.Zip(z, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(moved > 0.1, $"{name}: mean |z − x| is only {moved:E2}: a flow this close to the identity makes the contracts vacuous");
        var back = Sample(flow, z, c);
        double worstX = x.Zip(back, (a, b) => Math.Abs(a - b)).Max();
        var noise = Noise(rows, 43);
        var again = Latent(flow, Sample(flow, noise, c), c, out _);
        double worstZ = noise.Zip(again, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{name}: mean |z − x| {moved:F3}; |Sample(Latent(x)) − x| ≤ {worstX:E2}, |Latent(Sample(z)) − z| ≤ {worstZ:E2}");
        Assert.True(worstX <= 1e-11, $"{name}: |Sample(Latent(x)) − x| up to {worstX:E2}");
        Assert.True(worstZ <= 1e-11, $"{name}: |Latent(Sample(z)) − z| up to {worstZ:E2}");
    }

    /// <summary>
    /// (c) The log|det ∂z/∂x| that Latent reports is the log-determinant of the Jacobian of its own z = T(x|c), differentiated
    /// numerically (five-point stencil, h = 1e-3: truncation ≈ h⁴ = 1e-12 for these smooth O(1) maps, rounding ≈ ε/h ≈ 1e-13 per
    /// entry; the log-determinant is then good to ~1e-10 unless J is near singular, which the check reports). Tolerance
    /// 1e-7 absolute. And evaluation-mode LogProb is log N(z) + log|det| of the same map, to 1e-12.
    /// </summary>
    [Theory]
    [MemberData(nameof(Flows))]
    public void LogDetIsTheLogDeterminantOfTheNumericalJacobian(string name)
    {
        var flow = Make(name);
        const int rows = 12;
        var (x, c) = Data(rows, 44);
        var z = Latent(flow, x, c, out var logDet);
        var lp = LogProb(flow, x, c);
        var failures = new List<string>();
        for (int n = 0; n < rows; n++)
        {
            double s = 0;
            for (int d = 0; d < D; d++) s += z[n * D + d] * z[n * D + d];
            double expected = -0.5 * s - 0.5 * D * Math.Log(2 * Math.PI) + logDet[n];
            if (!(Math.Abs(lp[n] - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected))))
                failures.Add($"row {n}: LogProb {lp[n]:R} but log N(z) + log|det| from Latent is {expected:R}");
        }
        var pass = flow.NewFlowPass(1);
        const double h = 1e-3;
        double worst = 0;
        for (int n = 0; n < rows; n++)
        {
            var row = x.AsSpan(n * D, D).ToArray();
            var cn = new[] { c[n] };
            double[] At(int j, double step)
            {
                var shifted = (double[])row.Clone();
                shifted[j] += step;
                var zs = new double[D];
                flow.Latent(shifted, cn, zs, new double[1], pass);
                return zs;
            }
            var jacobian = new double[D, D];
            for (int j = 0; j < D; j++)
            {
                double[] p2 = At(j, 2 * h), p1 = At(j, h), m1 = At(j, -h), m2 = At(j, -2 * h);
                for (int i = 0; i < D; i++) jacobian[i, j] = (-p2[i] + 8 * p1[i] - 8 * m1[i] + m2[i]) / (12 * h);
            }
            double det = jacobian[0, 0] * (jacobian[1, 1] * jacobian[2, 2] - jacobian[1, 2] * jacobian[2, 1])
                         - jacobian[0, 1] * (jacobian[1, 0] * jacobian[2, 2] - jacobian[1, 2] * jacobian[2, 0])
                         + jacobian[0, 2] * (jacobian[1, 0] * jacobian[2, 1] - jacobian[1, 1] * jacobian[2, 0]);
            double numeric = Math.Log(Math.Abs(det)), err = Math.Abs(numeric - logDet[n]);
            worst = Math.Max(worst, err);
            if (!(err <= 1e-7)) failures.Add($"row {n}: Latent's log|det| {logDet[n]:R}, log|det J| of the numerical Jacobian {numeric:R}");
        }
        output.WriteLine($"{name}: worst |log|det J| − log|det|| {worst:E2}");
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} failures:\n" + string.Join("\n", failures));
    }

    private static (double[] Mean, double[] Error) Moments(double[] x, int rows)
    {
        // Statistics: the D means and the D(D + 1)/2 second moments E[x_i x_j]; per statistic its mean over the rows and standard error.
        var pairs = new List<(int I, int J)>();
        for (int i = 0; i < D; i++) pairs.Add((i, -1));
        for (int i = 0; i < D; i++)
            for (int j = i; j < D; j++) pairs.Add((i, j));
        var mean = new double[pairs.Count];
        var error = new double[pairs.Count];
        for (int k = 0; k < pairs.Count; k++)
        {
            var (i, j) = pairs[k];
            var v = Enumerable.Range(0, rows).Select(n => j < 0 ? x[n * D + i] : x[n * D + i] * x[n * D + j]).ToArray();
            double m = v.Average(), var = v.Sum(t => (t - m) * (t - m)) / (rows - 1);
            mean[k] = m;
            error[k] = Math.Sqrt(var / rows);
        }
        return (mean, error);
    }

    /// <summary>
    /// (d) Sampling draws from the density LogProb describes. Two checks at one condition per row (the data's):
    /// samples from two independent noise seeds agree in their means and second moments within 5 combined standard
    /// errors (20000 rows each; 9 statistics, so a chance failure has probability ~5e-6 — and the seeds are fixed);
    /// and the density integrates to one at every condition: for a diagonal Gaussian q twice as wide as the samples,
    /// E_{c, x~q}[p(x|c)/q(x)] = 1 within 5 standard errors over 200000 draws, the standard error itself below 0.015 so
    /// that the check has power (seen: 0.004–0.009; a log|det| off by a constant, or wrong by a term that varies with x,
    /// moves it by more). Sample reports no log p of its own, so "the sampler's log p equals LogProb" does not apply;
    /// log p of Sample(z) is covered by (b) and (c): Latent inverts Sample and its log|det| is the Jacobian's.
    /// </summary>
    [Theory]
    [MemberData(nameof(Flows))]
    public void SamplesFollowTheDensity(string name)
    {
        var flow = Make(name);
        const int rows = 20000;
        var c = new double[rows];
        Philox4x32.FillNormal(c, 45, 1);
        var a = Sample(flow, Noise(rows, 46), c);
        var b = Sample(flow, Noise(rows, 47), c);
        var (ma, ea) = Moments(a, rows);
        var (mb, eb) = Moments(b, rows);
        for (int k = 0; k < ma.Length; k++)
        {
            double sigma = Math.Sqrt(ea[k] * ea[k] + eb[k] * eb[k]), pull = (ma[k] - mb[k]) / sigma;
            Assert.True(Math.Abs(pull) < 5, $"{name}: statistic {k} is {ma[k]:F4} with one seed, {mb[k]:F4} with another ({pull:F1} σ)");
        }

        // Normalisation: importance sampling from a diagonal Gaussian q with the samples' means and twice their spreads.
        var mu = new double[D];
        var sd = new double[D];
        for (int d = 0; d < D; d++)
        {
            mu[d] = ma[d];
            sd[d] = 2 * Math.Sqrt(Enumerable.Range(0, rows).Select(n => (a[n * D + d] - mu[d]) * (a[n * D + d] - mu[d])).Average());
        }
        const int draws = 200000;
        var q = Noise(draws, 48);
        var logQ = new double[draws];
        var cq = new double[draws];
        Philox4x32.FillNormal(cq, 48, 1);
        for (int n = 0; n < draws; n++)
            for (int d = 0; d < D; d++)
            {
                double e = q[n * D + d];
                logQ[n] += -0.5 * e * e - 0.5 * Math.Log(2 * Math.PI) - Math.Log(sd[d]);
                q[n * D + d] = mu[d] + sd[d] * e;
            }
        var lp = new double[draws];
        flow.LogProbInChunks(q, cq, lp, draws);
        var w = lp.Zip(logQ, (p, l) => Math.Exp(p - l)).ToArray();
        double mean = w.Average(), se = Math.Sqrt(w.Sum(t => (t - mean) * (t - mean)) / (draws - 1) / draws);
        output.WriteLine($"{name}: E_q[p/q] = {mean:F4} ± {se:F4}; moments {string.Join(", ", ma.Select(v => v.ToString("F3")))}");
        Assert.True(se < 0.015, $"{name}: the importance weights scatter too much (standard error {se:F3}) for a normalisation check");
        Assert.True(Math.Abs(mean - 1) < 5 * se, $"{name}: ∫p = E_q[p/q] = {mean:F4} ± {se:F4}, not 1");
    }

    /// <summary>
    /// (e) Determinism: the same construction seed gives the same flow (parameters, state and log p bit for bit), the
    /// same noise the same samples, bit for bit, however the rows are chunked; another noise seed other samples.
    /// </summary>
    [Theory]
    [MemberData(nameof(Flows))]
    public void TheSameSeedGivesTheSameFlowAndSamples(string name)
    {
        var flow = Make(name);
        var twin = Make(name);
        Assert.Equal(flow.Parameters().SelectMany(p => p.Value), twin.Parameters().SelectMany(p => p.Value));
        Assert.Equal(flow.State().SelectMany(s => s), twin.State().SelectMany(s => s));
        const int rows = 700;
        var (x, c) = Data(rows, 49);
        Assert.Equal(LogProb(flow, x, c), LogProb(twin, x, c));
        var noise = Noise(rows, 50);
        var samples = Sample(flow, noise, c);
        Assert.Equal(samples, Sample(twin, Noise(rows, 50), c));
        Assert.Equal(samples, Sample(flow, noise, c));
        var chunked = new double[samples.Length];
        flow.SampleInChunks(noise, c, chunked, rows, chunk: 97);
        Assert.Equal(samples, chunked);
        var logProbChunked = new double[rows];
        flow.LogProbInChunks(x, c, logProbChunked, rows, chunk: 97);
        Assert.Equal(LogProb(flow, x, c), logProbChunked);
        Assert.NotEqual(samples, Sample(flow, Noise(rows, 51), c));
    }

    /// <summary>
    /// (f) The condition matters: with non-zero condition weights (every flow here is trained and perturbed), log p(x|c)
    /// at c = −1 and c = +1 differ on most rows by more than 1e-3 nats, and so do the samples from the same noise.
    /// </summary>
    [Theory]
    [MemberData(nameof(Flows))]
    public void TheConditionChangesTheDensity(string name)
    {
        var flow = Make(name);
        const int rows = 200;
        var (x, _) = Data(rows, 52);
        var minus = Enumerable.Repeat(-1.0, rows).ToArray();
        var plus = Enumerable.Repeat(1.0, rows).ToArray();
        var lpMinus = LogProb(flow, x, minus);
        var lpPlus = LogProb(flow, x, plus);
        int differ = Enumerable.Range(0, rows).Count(n => Math.Abs(lpMinus[n] - lpPlus[n]) > 1e-3);
        double meanShift = Enumerable.Range(0, rows).Average(n => Math.Abs(lpMinus[n] - lpPlus[n]));
        output.WriteLine($"{name}: log p changes by > 1e-3 on {differ}/{rows} rows, by {meanShift:F3} on average");
        Assert.True(differ > rows * 9 / 10, $"{name}: log p(x|c) changes with c on only {differ} of {rows} rows");
        var noise = Noise(rows, 53);
        var sMinus = Sample(flow, noise, minus);
        var sPlus = Sample(flow, noise, plus);
        Assert.True(Enumerable.Range(0, rows).Count(n => Math.Abs(sMinus[n * D] - sPlus[n * D]) + Math.Abs(sMinus[n * D + 1] - sPlus[n * D + 1])
            + Math.Abs(sMinus[n * D + 2] - sPlus[n * D + 2]) > 1e-3) > rows * 9 / 10, $"{name}: samples barely change with c");
    }
}
