using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

public class MlpTests
{
    [Theory]
    [InlineData(ClassifierLoss.Bce)]
    [InlineData(ClassifierLoss.Mlc)]
    public void GradientsMatchFiniteDifferences(ClassifierLoss loss)
    {
        const int inputs = 3, batch = 11;
        var mlp = new MlpClassifier(inputs, [6, 5, 4], loss, seed: 3);
        foreach (var l in mlp.Layers) Philox4x32.FillNormal(l.Bias, 4, (ulong)l.Outputs);
        var x = new double[batch * inputs];
        Philox4x32.FillNormal(x, 5, 0);
        var y = Enumerable.Range(0, batch).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();
        var w = Enumerable.Range(0, batch).Select(i => 0.5 + i * 0.1).ToArray();
        var pass = mlp.NewPass(batch);
        var f = new double[batch];
        double Loss()
        {
            mlp.Forward(x, f, pass);
            return mlp.BatchLoss(f, y, w);
        }
        Loss();
        mlp.ZeroGrad();
        mlp.Backward(x, f, y, w, pass);
        const double h = 1e-6;
        foreach (var layer in mlp.Layers)
        {
            foreach (var (value, grad) in new[] { (layer.Weight, layer.WeightGrad), (layer.Bias, layer.BiasGrad) })
                for (int i = 0; i < value.Length; i++)
                {
                    double keep = value[i];
                    value[i] = keep + h; double plus = Loss();
                    value[i] = keep - h; double minus = Loss();
                    value[i] = keep;
                    double numeric = (plus - minus) / (2 * h), err = Math.Abs(grad[i] - numeric);
                    // Random inputs avoid the ReLU kinks (measure zero); rounding of the O(1) loss sets the 1e-8 floor.
                    Assert.True(err <= 1e-6 * (Math.Abs(grad[i]) + Math.Abs(numeric)) + 1e-8, $"{loss}: analytic {grad[i]:R}, numeric {numeric:R}");
                }
        }
    }

    [Fact]
    public void MlcOutputApproachesTheLogLikelihoodRatio()
    {
        // data ~ N(0.5, 1), simulation ~ N(0, 1): ln(p_data/p_sim) = 0.5 x − 0.125. Full-batch gradient descent.
        const int n = 4000;
        var xd = new double[n];
        var xs = new double[n];
        Philox4x32.FillNormal(xd, 8, 1);
        Philox4x32.FillNormal(xs, 8, 2);
        var x = xd.Select(v => v + 0.5).Concat(xs).ToArray();
        var y = Enumerable.Repeat(1.0, n).Concat(Enumerable.Repeat(0.0, n)).ToArray();
        var mlp = new MlpClassifier(1, [16], ClassifierLoss.Mlc, seed: 1);
        var pass = mlp.NewPass(2 * n);
        var f = new double[2 * n];
        for (int it = 0; it < 3000; it++)
        {
            mlp.Forward(x, f, pass);
            mlp.ZeroGrad();
            mlp.Backward(x, f, y, default, pass);
            foreach (var l in mlp.Layers)
            {
                for (int i = 0; i < l.Weight.Length; i++) l.Weight[i] -= 0.05 * l.WeightGrad[i];
                for (int i = 0; i < l.Bias.Length; i++) l.Bias[i] -= 0.05 * l.BiasGrad[i];
            }
        }
        var probe = new double[] { -1, 0, 1 };
        var fp = new double[3];
        mlp.Forward(probe, fp, mlp.NewPass(3));
        for (int i = 0; i < 3; i++) Assert.InRange(fp[i], 0.5 * probe[i] - 0.125 - 0.12, 0.5 * probe[i] - 0.125 + 0.12);
    }
}
