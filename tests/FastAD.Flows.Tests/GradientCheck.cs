using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>
/// The one finite-difference gradient check of the flow tests: every entry of every array, analytic against five-point
/// central differences with h = 1e-4 (truncation O(h⁴·L⁽⁵⁾) ≈ 1e-16, rounding ≈ ε·|L|/h ≈ 1e-11 for an O(1) loss, so
/// the numeric gradient is good to ~1e-10 absolute); they must agree to 1e-6 relative (of |analytic| + |numeric|) plus
/// an absolute floor that the caller states (1e-10 for smooth losses, 1e-9 for the contract suite's trained flows).
/// </summary>
public static class GradientCheck
{
    /// <summary>What a check saw: entries checked, the worst relative error among gradients above 1e-4, and the entries rechecked at a relu kink.</summary>
    public readonly record struct Result(int Count, int Arrays, double Worst, int Kinks);

    /// <summary>
    /// Checks the gradients in <paramref name="arrays"/> (values perturbed in place and restored) against <paramref name="loss"/>,
    /// requiring more than 100 entries. With <paramref name="reliefAtKinks"/>, an entry that fails is rechecked with h = 1e-6:
    /// relu networks are only piecewise smooth, and when a pre-activation changes sign within the stencil (±2h) the stencil
    /// estimates no derivative at all, while the analytic gradient is the derivative on the side the point lies on; a stencil
    /// 100 times narrower (rounding ≈ 1e-9) almost surely stays on that side, and a wrong gradient fails there too. At most
    /// one entry in 50 may need it: more is not chance.
    /// </summary>
    public static Result Check(IEnumerable<(double[] Value, double[] Grad, string Name)> arrays, Func<double> loss, double absoluteFloor,
        bool reliefAtKinks = false, string what = "")
    {
        const double h = 1e-4;
        double worst = 0;
        int count = 0, array = 0, kinks = 0;
        foreach (var (value, grad, name) in arrays)
        {
            for (int i = 0; i < value.Length; i++)
            {
                double keep = value[i];
                double At(double step)
                {
                    value[i] = keep + step;
                    return loss();
                }
                double Numeric(double step) => (-At(2 * step) + 8 * At(step) - 8 * At(-step) + At(-2 * step)) / (12 * step);
                double numeric = Numeric(h);
                double err = Math.Abs(grad[i] - numeric), scale = Math.Abs(grad[i]) + Math.Abs(numeric);
                if (reliefAtKinks && !(err <= 1e-6 * scale + absoluteFloor))
                {
                    kinks++;
                    numeric = Numeric(1e-6);
                    err = Math.Abs(grad[i] - numeric);
                    scale = Math.Abs(grad[i]) + Math.Abs(numeric);
                }
                value[i] = keep;
                if (scale > 1e-4) worst = Math.Max(worst, err / scale);
                count++;
                Assert.True(err <= 1e-6 * scale + absoluteFloor, $"{what}{name}[{i}]: analytic {grad[i]:R}, numeric {numeric:R}");
            }
            array++;
        }
        Assert.True(count > 100, $"{what}only {count} gradients checked");
        Assert.True(kinks <= count / 50, $"{what}{kinks} of {count} gradients needed the narrow stencil: that many kinks is not chance");
        return new Result(count, array, worst, kinks);
    }

    /// <summary><see cref="Check"/> over a flow's parameters (named by array index).</summary>
    public static Result CheckParameters(IEnumerable<(double[] Value, double[] Grad)> parameters, Func<double> loss, double absoluteFloor,
        bool reliefAtKinks = false, string what = "") =>
        Check(parameters.Select((p, k) => (p.Value, p.Grad, $"parameter array {k}")), loss, absoluteFloor, reliefAtKinks, what);

    /// <summary>
    /// <see cref="CheckParameters"/> of −mean log p(x|c) of a flow in training mode (batch statistics): one forward and
    /// backward pass for the analytic gradients, then the finite differences of the same loss.
    /// </summary>
    public static Result CheckFlowParameters(IConditionalFlow flow, double[] x, double[] c, int batch, double absoluteFloor,
        bool reliefAtKinks = false, string what = "")
    {
        var pass = flow.NewFlowPass(batch);
        var lp = new double[batch];
        double Loss()
        {
            flow.LogProb(x, c, lp, training: true, pass);
            return -lp.Average();
        }
        Loss();
        flow.ZeroGrad();
        flow.Backward(c, pass);
        return CheckParameters(flow.Parameters(), Loss, absoluteFloor, reliefAtKinks, what);
    }

    /// <summary>Adds size·N(0, 1) noise to every parameter (Philox stream k for array k).</summary>
    public static void Perturb(IEnumerable<(double[] Value, double[] Grad)> parameters, double size, ulong seed)
    {
        ulong stream = 0;
        foreach (var (value, _) in parameters)
        {
            var noise = new double[value.Length];
            Philox4x32.FillNormal(noise, seed, stream++);
            for (int i = 0; i < value.Length; i++) value[i] += size * noise[i];
        }
    }
}
