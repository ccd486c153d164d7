namespace FastAD.Flows;

/// <summary>
/// MADE masks in the pytorch-flows convention of SPEC 1.3 for D inputs and H hidden units: input degrees
/// i mod D, hidden degrees j mod (D − 1), output degrees (k mod D) − 1 for the 2D outputs (shift then
/// log-scale of every dimension); mask[out, in] = 1 iff degree(out) ≥ degree(in). Output k therefore sees
/// only inputs of lower index than its dimension k mod D: the transform is autoregressive.
/// Masks are row-major [out × in] arrays of 0/1.
/// </summary>
public static class MadeMasks
{
    private static int HiddenDegree(int j, int d) => d > 1 ? j % (d - 1) : 0;

    /// <summary>Inputs (D) to the first hidden layer (H).</summary>
    public static double[] InputToHidden(int d, int h) => Build(h, d, (o, i) => HiddenDegree(o, d) >= i % d);

    /// <summary>Hidden (H) to hidden (H).</summary>
    public static double[] HiddenToHidden(int d, int h) => Build(h, h, (o, i) => HiddenDegree(o, d) >= HiddenDegree(i, d));

    /// <summary>Hidden (H) to the outputs (outputsPerDimension × D, dimension = k mod D).</summary>
    public static double[] HiddenToOutput(int d, int h, int outputsPerDimension = 2) =>
        Build(outputsPerDimension * d, h, (o, i) => o % d - 1 >= HiddenDegree(i, d));

    /// <summary>
    /// Hidden (H) to outputs grouped per dimension as nflows lays them out: outputs k·P … k·P + P − 1 belong to
    /// dimension k (degree k − 1), so each dimension's P parameters see only inputs of lower index.
    /// </summary>
    public static double[] HiddenToGroupedOutput(int d, int h, int outputsPerDimension) =>
        Build(outputsPerDimension * d, h, (o, i) => o / outputsPerDimension - 1 >= HiddenDegree(i, d));

    private static double[] Build(int rows, int cols, Func<int, int, bool> keep)
    {
        if (rows < 1 || cols < 1) throw new ArgumentOutOfRangeException(nameof(rows), "Layer sizes must be positive.");
        var m = new double[rows * cols];
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < cols; i++)
                m[o * cols + i] = keep(o, i) ? 1 : 0;
        return m;
    }
}
