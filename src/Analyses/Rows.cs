namespace FastAD.Analyses;

/// <summary>Row selections of row-major matrices (rows × width), as the analyses hand them to the engines.</summary>
internal static class Rows
{
    /// <summary>The listed rows of <paramref name="source"/>, in that order.</summary>
    public static double[] Gather(double[] source, IReadOnlyList<int> rows, int width)
    {
        var r = new double[rows.Count * width];
        for (int i = 0; i < rows.Count; i++) Array.Copy(source, rows[i] * width, r, i * width, width);
        return r;
    }
}
