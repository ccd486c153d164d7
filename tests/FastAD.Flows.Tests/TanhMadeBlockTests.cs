using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

public class TanhMadeBlockTests
{
    private const int D = 3, C = 1, H = 7, Batch = 5;

    private static TanhMadeBlock RandomBlock(ulong seed)
    {
        var block = new TanhMadeBlock(D, C, H);
        ulong stream = 0;
        foreach (var layer in block.Layers)
        {
            Philox4x32.FillNormal(layer.Weight, seed, stream++);
            Philox4x32.FillNormal(layer.Bias, seed, stream++);
            for (int i = 0; i < layer.Weight.Length; i++) layer.Weight[i] *= 0.5;
            for (int i = 0; i < layer.Bias.Length; i++) layer.Bias[i] *= 0.2;
        }
        return block;
    }

    private static double[] Normal(int n, ulong stream)
    {
        var v = new double[n];
        Philox4x32.FillNormal(v, 77, stream);
        return v;
    }

    [Fact]
    public void MasksFollowTheSpecDegrees()
    {
        // D = 3: hidden degrees j mod 2 = 0,1,0,1,...; output degrees k mod 3 - 1 = -1,0,1,-1,0,1.
        var m1 = MadeMasks.InputToHidden(3, 4);
        Assert.Equal(new double[] { 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0 }, m1);
        var m3 = MadeMasks.HiddenToOutput(3, 4);
        Assert.Equal(new double[] { 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1 }, m3);
    }

    [Fact]
    public void TransformIsAutoregressiveWithTheRightLogDet()
    {
        var block = RandomBlock(1);
        var x = Normal(D, 1);
        var c = Normal(C, 2);
        var cache = block.NewCache(1);
        var u = new double[D];
        var ld = new double[1];
        block.Forward(x, c, u, ld, 1, cache);
        // Finite-difference Jacobian ∂u/∂x: lower triangular, log|det| = Σ log|diag| = logdet.
        const double h = 1e-6;
        var jac = new double[D, D];
        for (int j = 0; j < D; j++)
        {
            var xp = (double[])x.Clone(); xp[j] += h;
            var xm = (double[])x.Clone(); xm[j] -= h;
            var up = new double[D]; var um = new double[D];
            block.Forward(xp, c, up, new double[1], 1, cache);
            block.Forward(xm, c, um, new double[1], 1, cache);
            for (int i = 0; i < D; i++) jac[i, j] = (up[i] - um[i]) / (2 * h);
        }
        for (int i = 0; i < D; i++)
            for (int j = i + 1; j < D; j++)
                Assert.True(Math.Abs(jac[i, j]) < 1e-9, $"∂u{i}/∂x{j} = {jac[i, j]} must vanish");
        double logDiag = 0;
        for (int i = 0; i < D; i++) logDiag += Math.Log(Math.Abs(jac[i, i]));
        Assert.Equal(logDiag, ld[0], 6);
    }

    [Fact]
    public void InverseUndoesForward()
    {
        var block = RandomBlock(2);
        var x = Normal(Batch * D, 3);
        var c = Normal(Batch * C, 4);
        var cache = block.NewCache(Batch);
        var u = new double[Batch * D];
        block.Forward(x, c, u, new double[Batch], Batch, cache);
        var back = new double[Batch * D];
        block.Inverse(u, c, back, Batch, cache);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], back[i], 10);
    }

    [Fact]
    public void GradientsMatchCentralFiniteDifferences()
    {
        var block = RandomBlock(3);
        var x = Normal(Batch * D, 5);
        var c = Normal(Batch * C, 6);
        var wu = Normal(Batch * D, 7);   // L = Σ wu·u + Σ wl·logdet
        var wl = Normal(Batch, 8);
        var cache = block.NewCache(Batch);
        double Loss(double[] xx, double[] cc)
        {
            var u = new double[Batch * D];
            var ld = new double[Batch];
            block.Forward(xx, cc, u, ld, Batch, cache);
            double l = 0;
            for (int i = 0; i < u.Length; i++) l += wu[i] * u[i];
            for (int n = 0; n < Batch; n++) l += wl[n] * ld[n];
            return l;
        }
        var u0 = new double[Batch * D];
        block.Forward(x, c, u0, new double[Batch], Batch, cache);
        foreach (var layer in block.Layers) layer.ZeroGrad();
        var dx = new double[Batch * D];
        var dc = new double[Batch * C];
        block.Backward(x, c, u0, wu, wl, dx, dc, Batch, cache);

        const double h = 1e-6;
        double worst = 0;
        void Check(double analytic, Func<double> plus, Func<double> minus, string what)
        {
            double numeric = (plus() - minus()) / (2 * h);
            double rel = Math.Abs(analytic - numeric) / Math.Max(1e-6, Math.Abs(analytic) + Math.Abs(numeric));
            worst = Math.Max(worst, rel);
            Assert.True(rel < 1e-6, $"{what}: analytic {analytic:R}, numeric {numeric:R}, relative error {rel:E2}");
        }
        int layerIndex = 0;
        foreach (var layer in block.Layers)
        {
            for (int i = 0; i < layer.Weight.Length; i++)
            {
                if (layer.Mask[i] == 0) { Assert.Equal(0.0, layer.WeightGrad[i]); continue; }
                double keep = layer.Weight[i];
                Check(layer.WeightGrad[i],
                    () => { layer.Weight[i] = keep + h; double l = Loss(x, c); layer.Weight[i] = keep; return l; },
                    () => { layer.Weight[i] = keep - h; double l = Loss(x, c); layer.Weight[i] = keep; return l; }, $"layer {layerIndex} W[{i}]");
            }
            for (int i = 0; i < layer.Bias.Length; i++)
            {
                double keep = layer.Bias[i];
                Check(layer.BiasGrad[i],
                    () => { layer.Bias[i] = keep + h; double l = Loss(x, c); layer.Bias[i] = keep; return l; },
                    () => { layer.Bias[i] = keep - h; double l = Loss(x, c); layer.Bias[i] = keep; return l; }, $"layer {layerIndex} b[{i}]");
            }
            layerIndex++;
        }
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            Check(dx[i], () => { x[i] = keep + h; double l = Loss(x, c); x[i] = keep; return l; },
                         () => { x[i] = keep - h; double l = Loss(x, c); x[i] = keep; return l; }, $"x[{i}]");
        }
        for (int i = 0; i < c.Length; i++)
        {
            double keep = c[i];
            Check(dc[i], () => { c[i] = keep + h; double l = Loss(x, c); c[i] = keep; return l; },
                         () => { c[i] = keep - h; double l = Loss(x, c); c[i] = keep; return l; }, $"c[{i}]");
        }
        Assert.True(worst < 1e-6);
    }
}
