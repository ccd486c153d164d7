using Xunit.Sdk;

namespace FastAD.TestSupport;

/// <summary>Comparisons with relative tolerances and an absolute floor, reporting the worst element.</summary>
public static class Close
{
    /// <summary>Asserts |actual - expected| &lt;= rel·|expected| + abs elementwise; returns the max relative error.</summary>
    public static double All(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rel, double abs = 0, string what = "")
    {
        var a = new double[actual.Length];
        for (int i = 0; i < a.Length; i++) a[i] = actual[i];
        return All(expected, a, rel, abs, what);
    }

    /// <summary>Double version of <see cref="All(ReadOnlySpan{double}, ReadOnlySpan{float}, double, double, string)"/>.</summary>
    public static double All(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, double abs = 0, string what = "")
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], v = actual[i];
            if (double.IsNaN(e) && double.IsNaN(v)) continue;
            double err = Math.Abs(v - e);
            if (!(err <= rel * Math.Abs(e) + abs))
                throw new XunitException($"{what}: element {i} is {v:R}, expected {e:R} (|error| {err:E3} > {rel:E1}·|expected| + {abs:E1})");
            if (e != 0) worst = Math.Max(worst, err / Math.Abs(e));
        }
        return worst;
    }

    /// <summary>Scalar version.</summary>
    public static void Scalar(double expected, double actual, double rel, double abs = 0, string what = "")
    {
        double err = Math.Abs(actual - expected);
        if (!(err <= rel * Math.Abs(expected) + abs))
            throw new XunitException($"{what}: {actual:R}, expected {expected:R} (|error| {err:E3} > {rel:E1}·|expected| + {abs:E1})");
    }
}
