using FastAD.Flows;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>The comparisons the flow kernel tests share: against each value, against the largest value, and the managed gradients of one step.</summary>
internal static class FlowAssert
{
    /// <summary>max |Δ| / max(1, |expected|) ≤ <paramref name="tolerance"/>.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = FlowsSelfTest.MaxRelative(expected, actual);
        Assert.True(worst <= tolerance, $"{what}: max relative error {worst:E2} > {tolerance:E0}");
    }

    /// <summary>max |Δ| / max |expected| ≤ <paramref name="tolerance"/> (for gradients and parameters, where single values may be near zero).</summary>
    public static void CloseToLargest(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        Assert.True(worst <= tolerance, $"{what}: max error {worst:E2} of the largest magnitude {scale:E2} > {tolerance:E0}");
    }

    /// <summary>The managed training-mode loss −mean log p of one minibatch and its parameter gradients, in Parameters() order.</summary>
    public static double[] ManagedGradients(MaskedAutoregressiveFlow flow, ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows, out double loss)
    {
        var pass = flow.NewPass(rows);
        var lp = new double[rows];
        flow.LogProb(x, c, lp, training: true, pass);
        loss = -lp.Average();
        flow.ZeroGrad();
        flow.Backward(c, pass);
        return flow.Parameters().SelectMany(p => p.Grad).ToArray();
    }
}
