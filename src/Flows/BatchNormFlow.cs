namespace FastAD.Flows;

/// <summary>
/// The batch-norm flow layer of SPEC 1.3: y = exp(logγ)·(x − μ)/σ + β with σ² the biased batch variance
/// + 1e-5 while training, the running statistics otherwise; log|det| = Σ (logγ − ½ ln σ²). The running
/// statistics are set to the full training set's mean and variance by <see cref="SetRunningStatistics"/>
/// after each epoch (the "momentum 1" trick). Backward includes the batch statistics' dependence on x.
/// </summary>
public sealed class BatchNormFlow : IFlowLayer
{
    /// <summary>Variance floor added to the variance.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>Creates the layer for D features (logγ = β = 0, running mean 0, variance 1).</summary>
    public BatchNormFlow(int features)
    {
        D = features;
        LogGamma = new double[D];
        Beta = new double[D];
        LogGammaGrad = new double[D];
        BetaGrad = new double[D];
        RunningMean = new double[D];
        RunningVariance = Enumerable.Repeat(1.0, D).ToArray();
    }

    /// <summary>Features.</summary>
    public int D { get; }
    /// <summary>log γ.</summary>
    public double[] LogGamma { get; }
    /// <summary>β.</summary>
    public double[] Beta { get; }
    /// <summary>dL/dlogγ.</summary>
    public double[] LogGammaGrad { get; }
    /// <summary>dL/dβ.</summary>
    public double[] BetaGrad { get; }
    /// <summary>Running mean (evaluation and sampling).</summary>
    public double[] RunningMean { get; }
    /// <summary>Running variance, ε included.</summary>
    public double[] RunningVariance { get; }

    /// <summary>Batch statistics of the last training forward pass.</summary>
    public sealed class Cache(int d)
    {
        internal readonly double[] Mean = new double[d], Variance = new double[d];
    }

    /// <summary>New cache.</summary>
    public Cache NewCache() => new(D);

    /// <summary>Mean and biased variance (+ε) of a batch.</summary>
    public void Statistics(ReadOnlySpan<double> x, int batch, Span<double> mean, Span<double> variance)
    {
        mean.Clear();
        variance.Clear();
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++) mean[d] += x[n * D + d];
        for (int d = 0; d < D; d++) mean[d] /= batch;
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++)
            {
                double t = x[n * D + d] - mean[d];
                variance[d] += t * t;
            }
        for (int d = 0; d < D; d++) variance[d] = variance[d] / batch + Epsilon;
    }

    /// <summary>Sets the running statistics from a whole data set (already passed through the layers below).</summary>
    public void SetRunningStatistics(ReadOnlySpan<double> x, int rows) => Statistics(x, rows, RunningMean, RunningVariance);

    /// <summary>Forward; training uses (and caches) batch statistics.</summary>
    public void Forward(ReadOnlySpan<double> x, Span<double> y, Span<double> logDet, int batch, bool training, Cache cache)
    {
        ReadOnlySpan<double> mean = RunningMean, variance = RunningVariance;
        if (training)
        {
            Statistics(x, batch, cache.Mean, cache.Variance);
            mean = cache.Mean;
            variance = cache.Variance;
        }
        double ld = 0;
        Span<double> scale = D <= 128 ? stackalloc double[D] : new double[D];
        Span<double> shift = D <= 128 ? stackalloc double[D] : new double[D];
        for (int d = 0; d < D; d++)
        {
            ld += LogGamma[d] - 0.5 * Math.Log(variance[d]);
            scale[d] = Math.Exp(LogGamma[d]) / Math.Sqrt(variance[d]);
            shift[d] = Beta[d] - mean[d] * scale[d];
        }
        for (int n = 0; n < batch; n++)
        {
            for (int d = 0; d < D; d++) y[n * D + d] = x[n * D + d] * scale[d] + shift[d];
            logDet[n] = ld;
        }
    }

    /// <summary>Training-mode backward: accumulates dlogγ, dβ and writes dL/dx.</summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> dy, ReadOnlySpan<double> dLogDet, Span<double> dx, int batch, Cache cache)
    {
        double sumL = 0;
        for (int n = 0; n < batch; n++) sumL += dLogDet[n];
        for (int d = 0; d < D; d++)
        {
            double mean = cache.Mean[d], inv = 1 / Math.Sqrt(cache.Variance[d]), gamma = Math.Exp(LogGamma[d]);
            double sumG = 0, sumGx = 0;
            for (int n = 0; n < batch; n++)
            {
                double xh = (x[n * D + d] - mean) * inv, g = dy[n * D + d];
                sumG += g;
                sumGx += g * xh;
            }
            BetaGrad[d] += sumG;
            LogGammaGrad[d] += gamma * sumGx + sumL;
            double meanG = gamma * sumG / batch, meanGx = gamma * sumGx / batch, l = sumL / batch;
            for (int n = 0; n < batch; n++)
            {
                double xh = (x[n * D + d] - mean) * inv;
                dx[n * D + d] = (dy[n * D + d] * gamma - meanG - xh * (meanGx + l)) * inv;
            }
        }
    }

    /// <summary>Evaluation-mode inverse: x = (y − β)·σ/γ + μ with the running statistics.</summary>
    public void Inverse(ReadOnlySpan<double> y, Span<double> x, int batch)
    {
        Span<double> scale = D <= 128 ? stackalloc double[D] : new double[D];
        Span<double> shift = D <= 128 ? stackalloc double[D] : new double[D];
        for (int d = 0; d < D; d++)
        {
            scale[d] = Math.Sqrt(RunningVariance[d]) / Math.Exp(LogGamma[d]);
            shift[d] = RunningMean[d] - Beta[d] * scale[d];
        }
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++) x[n * D + d] = y[n * D + d] * scale[d] + shift[d];
    }

    /// <summary>Zeroes the gradients.</summary>
    public void ZeroGrad()
    {
        Array.Clear(LogGammaGrad);
        Array.Clear(BetaGrad);
    }

    bool IFlowLayer.HasLogDet => true;

    IEnumerable<(double[] Value, double[] Grad)> IFlowLayer.Parameters() => [(LogGamma, LogGammaGrad), (Beta, BetaGrad)];

    IEnumerable<double[]> IFlowLayer.State() => [RunningMean, RunningVariance];

    object IFlowLayer.NewCache(int batch) => NewCache();

    void IFlowLayer.Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> y, Span<double> logDet, int batch, bool training, object cache) =>
        Forward(x, y, logDet, batch, training, (Cache)cache);

    void IFlowLayer.Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, object cache) => Backward(x, dy, dLogDet, dx, batch, (Cache)cache);

    void IFlowLayer.Inverse(ReadOnlySpan<double> y, ReadOnlySpan<double> c, Span<double> x, int batch, object cache) => Inverse(y, x, batch);
}
